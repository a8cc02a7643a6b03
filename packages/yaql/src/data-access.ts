import { defineKey, isJsonLikeOr } from '@packrun/expression-kit';
import { YaqlError } from './errors.ts';
import { LazySequence, PyFloat, typeName, YaqlDict, YaqlSet } from './values.ts';

/**
 * How expressions read data. This file is the boundary between expressions and the host language:
 * an expression reaches a value only through these functions, and they read nothing but
 * - own, enumerable data properties of plain objects (prototype Object.prototype or null),
 * - indexes of arrays,
 * so `constructor`, `__proto__`, prototypes, getters, functions and host objects (Map, Buffer,
 * Date, class instances) are out of reach whatever key an expression computes, and a value read is
 * admitted only when it is data (`admit`). The reads and writes of plain data are the ones Jinja
 * uses too, from @packrun/expression-kit.
 */

export { dictEntries, ownValue } from '@packrun/expression-kit';

/** A new plain object; keys are defined, never assigned, so a key named `__proto__` is only a key. */
export function plainObject(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) defineKey(object, key, value);
  return object;
}

/** True for a value expressions may hold: JSON-like data or one of the engine's own values. */
export function isData(value: unknown): boolean {
  return isJsonLikeOr(value, isEngineValue);
}

function isEngineValue(value: object): boolean {
  return value instanceof YaqlDict || value instanceof PyFloat || value instanceof YaqlSet || value instanceof LazySequence;
}

/**
 * A value read from data or returned by a registered function, admitted when it is data; JavaScript
 * undefined (an array hole) is null. `what` names where it came from, for the error.
 */
export function admit(value: unknown, what: string): unknown {
  if (value === undefined) return null;
  if (isData(value)) return value;
  throw new YaqlError('unsafe', `${what} is ${typeName(value) === 'function' ? 'a function' : 'not plain data'}, which expressions cannot use`);
}
