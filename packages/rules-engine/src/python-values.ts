/**
 * Python's value semantics for the criteria operators. StackStorm's operators are plain Python
 * expressions (`value == pattern`, `pattern in value`, `value < pattern`), so a rule written for
 * StackStorm must see the same answers here: `1 == 1.0` and `True == 1` hold, `'a' in ['a']` is
 * membership, `'k' in {'k': 1}` looks at keys, and comparing a number with a string is an error
 * (which the caller turns into "no match").
 */

/** Thrown where Python would raise TypeError/AttributeError; the criterion then does not match. */
export class PythonTypeError extends Error {}

type Numeric = number | boolean;

const isNumeric = (value: unknown): value is Numeric => typeof value === 'number' || typeof value === 'boolean';
const asNumber = (value: Numeric): number => (typeof value === 'boolean' ? (value ? 1 : 0) : value);
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (isNumeric(a) && isNumeric(b)) return asNumber(a) === asNumber(b);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => pyEquals(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && pyEquals(a[key], b[key]));
  }
  return false;
}

/** Python's `needle in haystack`. */
export function pyIn(needle: unknown, haystack: unknown): boolean {
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') throw new PythonTypeError("'in <string>' requires string as left operand");
    return haystack.includes(needle);
  }
  if (Array.isArray(haystack)) return haystack.some((item) => pyEquals(item, needle));
  if (isPlainObject(haystack)) {
    if (typeof needle === 'string') return Object.hasOwn(haystack, needle);
    if (isNumeric(needle)) return Object.hasOwn(haystack, String(asNumber(needle)));
    if (needle === null || needle === undefined) return false;
    throw new PythonTypeError('unhashable type');
  }
  throw new PythonTypeError('argument is not iterable');
}

/** Python's `a < b` for the types a JSON payload can hold; -1, 0 or 1. */
export function pyCompare(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) return Math.sign(asNumber(a) - asNumber(b));
  if (typeof a === 'string' && typeof b === 'string') return comparePythonStrings(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
      if (!pyEquals(a[index], b[index])) return pyCompare(a[index], b[index]);
    }
    return Math.sign(a.length - b.length);
  }
  throw new PythonTypeError(`'<' not supported between ${describe(a)} and ${describe(b)}`);
}

/** Python compares strings by code point, not by UTF-16 unit. */
function comparePythonStrings(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const l = left[index]!.codePointAt(0)!;
    const r = right[index]!.codePointAt(0)!;
    if (l !== r) return l < r ? -1 : 1;
  }
  return Math.sign(left.length - right.length);
}

export function requireString(value: unknown, role: string): string {
  if (typeof value !== 'string') throw new PythonTypeError(`${role} must be a string, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'dict' : typeof value;
}
