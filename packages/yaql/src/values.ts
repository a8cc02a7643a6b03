import type { Scope } from './scope.ts';

/**
 * The values expressions work with are JSON-like data (string, number, boolean, null, arrays as
 * yaql's tuples, plain objects as its dicts) plus the few kinds below, which only the engine
 * creates and which never leave it as they are (see output.ts). Nothing else can be reached: see
 * data-access.ts for how data is read.
 */

/**
 * A float whose value is a whole number (`2.0`). JavaScript has one number type; Python, whose
 * arithmetic yaql follows, keeps `2.0` a float: `3.0 / 2` is 1.5 where `3 / 2` is 1, and `str(2.0)`
 * is '2.0'. Numbers that are not whole are floats without this wrapper.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

/**
 * A lazily produced sequence, as yaql's query functions return (`where`, `select`, `range`...): it
 * is iterable but not indexable, equal only to itself, and may be infinite (`sequence()`). Unlike
 * a Python iterator it can be iterated again: each iteration produces the items afresh.
 */
export class LazySequence {
  constructor(
    readonly produce: () => Iterator<unknown>,
    /** The number of items when it is known without producing them (a dict's values), for truth. */
    readonly knownLength?: number,
  ) {}

  [Symbol.iterator](): Iterator<unknown> {
    return this.produce();
  }
}

/**
 * A lazy sequence that Python holds as an iterable but not an iterator: a dict's `values()` view
 * and `orderBy()`'s ordering. yaql's `len()` refuses them and `list()` does not spread them.
 */
export class LazyView extends LazySequence {}

/** yaql's frozenset: items unique by Python equality, kept in insertion order. */
export class YaqlSet {
  constructor(
    readonly items: readonly unknown[],
    /** The hash key of each item (see python-values.ts hashKey), in the same order. */
    readonly keys: ReadonlySet<string>,
  ) {}
}

/**
 * A dict the engine created (a literal, `dict()`, `toDict()`, `+`...): keys of any hashable kind,
 * as in Python (`1`, `true`, a list), in insertion order, which a JavaScript object cannot keep
 * for keys like '1'. Dicts from the caller's data are plain objects; both are dicts to yaql.
 */
export class YaqlDict {
  constructor(
    /** By the key's hash key (python-values.ts): the key as given and its value. */
    readonly entries: ReadonlyMap<string, readonly [unknown, unknown]>,
  ) {}
}

/** What `let`, `with` and `unpack` return: a scope of variables for the right side of `->`. */
export class ScopeValue {
  constructor(readonly scope: Scope) {}
}

/** A compiled regular expression, as `regex()` returns. */
export class RegexValue {
  constructor(
    /** The pattern as the expression wrote it (Python syntax). */
    readonly pattern: string,
    readonly flags: { ignoreCase: boolean; multiLine: boolean; dotAll: boolean },
  ) {}
}

/** A `key => value` argument of a function that takes them as data (`dict(a => 1)`, `{a => 1}`). */
export class MappingRule {
  constructor(
    readonly key: unknown,
    readonly value: unknown,
  ) {}
}

/** A `key => value` argument a function evaluates itself, part by part (`switch`). */
export class LazyMappingRule {
  constructor(
    readonly key: () => unknown,
    readonly value: () => unknown,
  ) {}
}

/** An argument a function evaluates itself, as often as it needs (`where($ > 1)`): `$1`, `$2`... are its arguments. */
export interface Lambda {
  call(...args: unknown[]): unknown;
  /** Evaluates the argument in the given scope (for `->` and regex match selectors). */
  callInScope(scope: Scope): unknown;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

export function isDict(value: unknown): value is Record<string, unknown> | YaqlDict {
  return value instanceof YaqlDict || isPlainObject(value);
}

export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** A Python float: a number that is not whole, infinite or NaN, or a PyFloat. */
export function isFloat(value: unknown): boolean {
  return (typeof value === 'number' && !Number.isInteger(value)) || value instanceof PyFloat;
}

/** A Python int or float, never a bool. */
export function isNumber(value: unknown): boolean {
  return typeof value === 'number' || value instanceof PyFloat;
}

export function numberValue(value: unknown): number {
  return value instanceof PyFloat ? value.value : (value as number);
}

/** A float result: wrapped when whole, so it stays a float. */
export function float(value: number): number | PyFloat {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

/** An iterable collection as yaql's Iterable type takes it: not a string, not a dict. */
export function isIterable(value: unknown): value is unknown[] | YaqlSet | LazySequence {
  return Array.isArray(value) || value instanceof YaqlSet || value instanceof LazySequence;
}

/** The Python type name of a value, for messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (isInteger(value)) return 'integer';
  if (isNumber(value)) return 'float';
  if (Array.isArray(value)) return 'list';
  if (value instanceof LazySequence) return 'iterator';
  if (value instanceof YaqlSet) return 'set';
  if (value instanceof ScopeValue) return 'context';
  if (value instanceof RegexValue) return 'regex';
  if (value instanceof MappingRule || value instanceof LazyMappingRule) return 'mapping rule';
  if (isDict(value)) return 'dict';
  if (typeof value === 'function') return 'function';
  return 'host object';
}

/** The type name with its article, for messages ("an integer", "a list"). */
export function aTypeName(value: unknown): string {
  const name = typeName(value);
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
}
