import { isJsonLikeOr, ownValue } from '@packrun/expression-kit';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { aTypeName, isPlainObject, LoopState, StringWithAttributes, TemplateFunction, typeName, Undefined } from './template-values.ts';

/**
 * How templates read data. This file is the boundary between templates and the host language:
 * a template reaches a value only through these functions, and they read nothing but
 * - own, enumerable data properties of plain objects (prototype Object.prototype or null),
 * - indexes of arrays and strings,
 * - the engine's own values (loop state, the attributes of a StringWithAttributes).
 * So `constructor`, `__proto__`, prototypes, getters, functions and host objects (Map, Buffer,
 * Date, class instances) are out of reach whatever name or key a template computes, and a value
 * read is admitted only when it is data (`admit`). The reads and writes of plain data are the ones
 * YAQL uses too, from @packrun/expression-kit.
 */

export { defineKey, dictEntries, ownValue } from '@packrun/expression-kit';

/**
 * The property name a dict key becomes. Dicts are JavaScript objects, so keys are strings: `1`
 * and `'1'` are the same key, and True is `'True'` as Python prints it.
 */
export function dictKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  if (typeof key === 'boolean') return key ? 'True' : 'False';
  if (key === null) return 'None';
  if (key instanceof StringWithAttributes) return key.text;
  throw new TemplateError('type', `${aTypeName(key)} cannot be a dict key`);
}

/** A list index as Python takes it: an int (or bool), negative counting from the end. */
function sequenceIndex(key: unknown, length: number): number | undefined {
  const index = typeof key === 'boolean' ? Number(key) : key;
  if (typeof index !== 'number' || !Number.isInteger(index)) return undefined;
  const resolved = index < 0 ? length + index : index;
  return resolved >= 0 && resolved < length ? resolved : undefined;
}

/** True when a string needs code point handling (it has surrogate pairs). */
const surrogate = /[\uD800-\uDFFF]/;

export function stringCharacters(text: string): string[] {
  return surrogate.test(text) ? Array.from(text) : text.split('');
}

export function stringLength(text: string): number {
  return surrogate.test(text) ? Array.from(text).length : text.length;
}

/**
 * `object[key]` (and `object.key` for data): a dict's own key, a list's or string's index, the
 * attributes of a StringWithAttributes, the loop's state. JavaScript undefined means "not found".
 */
export function lookup(object: unknown, key: unknown): unknown {
  if (typeof object === 'string') {
    if (typeof key !== 'number' && typeof key !== 'boolean') return undefined;
    const characters = surrogate.test(object) ? Array.from(object) : object;
    const index = sequenceIndex(key, characters.length);
    return index === undefined ? undefined : characters[index];
  }
  if (typeof object !== 'object' || object === null) return undefined;
  if (Array.isArray(object)) {
    const index = sequenceIndex(key, object.length);
    return index === undefined ? undefined : (object[index] as unknown);
  }
  if (isPlainObject(object)) {
    if (typeof key === 'string') return ownValue(object, key);
    if (typeof key === 'number' || typeof key === 'boolean' || key === null) return ownValue(object, dictKey(key));
    return undefined;
  }
  if (object instanceof StringWithAttributes) {
    if (typeof key === 'string') return ownValue(object.attributes, key);
    return lookup(object.text, key);
  }
  if (object instanceof LoopState && typeof key === 'string') return object.attribute(key);
  return undefined;
}

/** Why `object.key` found nothing, for the error message; undefined when it is simply missing data. */
export function lookupRefusal(object: unknown): string | undefined {
  if (object instanceof TemplateFunction) return `a function has no attributes`;
  return undefined;
}

/** Python's slice of a list or string, with negative and omitted bounds and a step. */
export function slice(object: unknown, from: unknown, to: unknown, step: unknown, meter: WorkMeter): unknown {
  const source = typeof object === 'string' ? stringCharacters(object) : object instanceof StringWithAttributes ? stringCharacters(object.text) : object;
  if (!Array.isArray(source)) throw new TemplateError('type', `${aTypeName(object)} cannot be sliced`);
  meter.step(source.length);
  const stride = optionalInteger(step, 'step') ?? 1;
  if (stride === 0) throw new TemplateError('type', 'slice step cannot be zero');
  const length = source.length;
  const clamp = (value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const resolved = value < 0 ? value + length : value;
    return stride > 0 ? Math.min(Math.max(resolved, 0), length) : Math.min(Math.max(resolved, -1), length - 1);
  };
  const start = clamp(optionalInteger(from, 'start'), stride > 0 ? 0 : length - 1);
  const stop = clamp(optionalInteger(to, 'stop'), stride > 0 ? length : -1);
  const out: unknown[] = [];
  if (stride > 0) for (let index = start; index < stop; index += stride) out.push(source[index]);
  else for (let index = start; index > stop; index += stride) out.push(source[index]);
  return typeof object === 'string' || object instanceof StringWithAttributes ? out.join('') : out;
}

function optionalInteger(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'boolean') return Number(value);
  throw new TemplateError('type', `slice ${what} must be an integer or None, not ${typeName(value)}`);
}

/** True for a value templates may hold: JSON-like data or one of the engine's own values. */
export function isTemplateValue(value: unknown): boolean {
  return isJsonLikeOr(value, isEngineValue);
}

function isEngineValue(value: object): boolean {
  return value instanceof StringWithAttributes || value instanceof LoopState || value instanceof TemplateFunction || value instanceof Undefined;
}

/**
 * A dotted attribute path as Jinja's `attribute=` arguments take it (`user.name`, `items.0`):
 * undefined when a step finds nothing; an error when it reaches something that is not data.
 */
export function attributePath(item: unknown, path: unknown): unknown {
  let current = item;
  for (const part of String(path).split('.')) {
    current = lookup(current, /^\d+$/.test(part) ? Number(part) : part);
    if (current === undefined) return undefined;
    if (!isTemplateValue(current)) throw new TemplateError('unsafe', `the attribute "${String(path)}" is not data, which templates cannot use`);
  }
  return current instanceof StringWithAttributes ? current.text : current;
}
