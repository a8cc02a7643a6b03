/** A value nested deeper than the limit given to toJsonValue. */
export class TooDeepError extends RangeError {
  constructor(readonly maxDepth: number) {
    super(`nested more than ${maxDepth} levels deep`);
    this.name = 'TooDeepError';
  }
}

export interface JsonValueOptions {
  /** Applied to every object key. */
  mapKey?: (key: string) => string;
  /** Applied to every string value. */
  mapString?: (value: string) => string;
  /** Levels of objects and arrays allowed, the value itself being level 1. */
  maxDepth?: number;
}

/**
 * What JSON.parse(JSON.stringify(value)) gives, with every object key passed through `mapKey` and
 * every string through `mapString`, in
 * one walk over the value's nodes instead of through its text: a record holding an 8 MiB action
 * result costs as much as one holding eight bytes. Same rules as JSON: undefined, functions and
 * symbols are dropped from objects and become null in arrays, non-finite numbers become null,
 * toJSON() is honoured (Dates become ISO strings), boxed primitives are unboxed, a BigInt or a
 * cycle throws a TypeError.
 *
 * Objects and arrays nested more than `maxDepth` levels (the value itself is level 1) throw a
 * TooDeepError as soon as the walk gets there, so an absurdly deep value costs no more than a
 * shallow one and never overflows the stack here or in JSON.stringify later.
 */
export function toJsonValue(value: unknown, options: JsonValueOptions = {}): unknown {
  const { mapKey = (key: string) => key, mapString = (text: string) => text, maxDepth = Number.POSITIVE_INFINITY } = options;
  const ancestors = new Set<object>();

  const convert = (input: unknown, key: string, depth: number): unknown => {
    let current = input;
    if (current !== null && typeof current === 'object' && typeof (current as { toJSON?: unknown }).toJSON === 'function') {
      current = (current as { toJSON(key: string): unknown }).toJSON(key);
    }
    if (current instanceof Number || current instanceof String || current instanceof Boolean) current = current.valueOf();
    switch (typeof current) {
      case 'string':
        return mapString(current);
      case 'boolean':
        return current;
      case 'number':
        // JSON has no -0 either.
        return Number.isFinite(current) ? (current === 0 ? 0 : current) : null;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (current === null) return null;
    const node = current as object;
    if (depth > maxDepth) throw new TooDeepError(maxDepth);
    if (ancestors.has(node)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(node);
    try {
      if (Array.isArray(node)) {
        return node.map((item, index) => {
          const converted = convert(item, String(index), depth + 1);
          return converted === undefined ? null : converted;
        });
      }
      const out: Record<string, unknown> = {};
      for (const [name, item] of Object.entries(node)) {
        const converted = convert(item, name, depth + 1);
        if (converted !== undefined) out[mapKey(name)] = converted;
      }
      return out;
    } finally {
      ancestors.delete(node);
    }
  };

  return convert(value, '', 1);
}

/**
 * True when `value` as JSON takes at most `limit` characters, found without writing the JSON: the
 * walk stops as soon as the budget is spent, so checking an 8 MiB result costs next to nothing.
 * Counts strings, numbers and keys, plus one character per value for punctuation; close enough
 * to decide whether a value is small, which is all it is for.
 */
export function jsonFitsIn(value: unknown, limit: number): boolean {
  let budget = limit;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    budget -= 1;
    if (typeof current === 'string') budget -= current.length;
    else if (typeof current === 'number') budget -= 8;
    else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        budget -= key.length + 1;
        stack.push(item);
      }
    }
    if (budget < 0) return false;
  }
  return true;
}
