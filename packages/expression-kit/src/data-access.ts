/**
 * The reads and writes of plain data that both expression languages build their lookups on. Data
 * comes from API callers, trigger payloads and task results, so an engine reads a property only as
 * an own, enumerable data property (never a getter, never an inherited value) and writes one only
 * by defining it (never by assignment, which a `__proto__` key would turn into a prototype change).
 */

/** The own data property `key` of a plain object, or undefined; never a getter or an inherited value. */
export function ownValue(object: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  if (descriptor === undefined || !descriptor.enumerable || !('value' in descriptor)) return undefined;
  return descriptor.value;
}

/** The own enumerable data properties of a plain object, skipping those whose value is undefined. */
export function dictEntries(object: Record<string, unknown>): [string, unknown][] {
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(object)) {
    const value = ownValue(object, key);
    if (value !== undefined) entries.push([key, value]);
  }
  return entries;
}

/**
 * Sets a key of a dict the engine itself created. A data property is defined, never assigned,
 * so a key named `__proto__` is only a key and no prototype changes.
 */
export function defineKey(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * True for a value an expression may hold: JSON-like data (strings, numbers, booleans, null, arrays,
 * plain objects, whose prototype is Object.prototype or null) or an object `isEngineValue` accepts,
 * the language's own values (Jinja's loop state and functions, YAQL's sets and lazy sequences).
 */
export function isJsonLikeOr(value: unknown, isEngineValue: (value: object) => boolean): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      return value === null || Array.isArray(value) || hasPlainPrototype(value) || isEngineValue(value);
    default:
      return false;
  }
}

function hasPlainPrototype(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
