import { dictItems, dictGet } from './dicts.ts';
import { YaqlError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { isDict, LazySequence, PyFloat, RegexValue, ScopeValue, YaqlSet } from './values.ts';

/**
 * Python's view of the values, which yaql inherits: truth, equality (`1 = 1.0 = true`), hashing
 * for sets and `distinct`, and `str()`/`repr()` text. Arrays are tuples, as yaql makes all input
 * and literal lists; the few functions that return Python lists (`split`, `insert`...) mark theirs
 * with `pythonList`, and a list never equals a tuple, as in Python.
 */

const pythonLists = new WeakSet<readonly unknown[]>();
const mutableDicts = new WeakSet<object>();

/** Marks an array the engine created as a Python list rather than a tuple. */
export function pythonList<T extends unknown[]>(items: T): T {
  pythonLists.add(items);
  return items;
}

export function isPythonList(items: readonly unknown[]): boolean {
  return pythonLists.has(items);
}

/**
 * Marks a dict the engine created as a Python dict rather than yaql's frozen dict (`toDict`,
 * `delete` return those): like a Python list, it cannot be in a set or be a key.
 */
export function mutableDict<T extends object>(dict: T): T {
  mutableDicts.add(dict);
  return dict;
}

export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof YaqlSet) return value.items.length > 0;
  if (isDict(value)) return dictItems(value).length > 0;
  // A Python iterator is true however many items it has; a dict's values() view is true when not empty.
  if (value instanceof LazySequence) return value.knownLength !== 0;
  return true;
}

/** bool, int and float compare by value in Python (`true = 1`, `1 = 1.0`). */
function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof PyFloat) return value.value;
  return undefined;
}

export function pyEquals(left: unknown, right: unknown, meter: WorkMeter, depth = 0): boolean {
  meter.step();
  if (left === right) return !(typeof left === 'number' && Number.isNaN(left));
  if (left === null || right === null || left === undefined || right === undefined) return (left ?? null) === (right ?? null);
  const leftNumber = numeric(left);
  if (leftNumber !== undefined) return leftNumber === numeric(right);
  if (typeof left === 'string' || typeof right === 'string') return false;
  if (Array.isArray(left)) {
    if (!Array.isArray(right) || left.length !== right.length || isPythonList(left) !== isPythonList(right)) return false;
    meter.checkDataDepth(depth);
    return left.every((item, index) => pyEquals(item, right[index], meter, depth + 1));
  }
  if (left instanceof YaqlSet) {
    if (!(right instanceof YaqlSet) || left.keys.size !== right.keys.size) return false;
    meter.step(left.keys.size);
    for (const key of left.keys) if (!right.keys.has(key)) return false;
    return true;
  }
  // Python caches compiled patterns, so two regex() of one pattern and flags are the same object.
  if (left instanceof RegexValue) return right instanceof RegexValue && regexKey(left) === regexKey(right);
  if (isDict(left)) {
    if (!isDict(right)) return false;
    const leftItems = dictItems(left);
    if (leftItems.length !== dictItems(right).length) return false;
    meter.checkDataDepth(depth);
    return leftItems.every(([key, value]) => {
      const other = dictGet(right, key, meter);
      return other !== undefined && pyEquals(value, other, meter, depth + 1);
    });
  }
  return false;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identity(value: object): string {
  let id = identities.get(value);
  if (id === undefined) {
    id = nextIdentity;
    nextIdentity += 1;
    identities.set(value, id);
  }
  return `#${id}`;
}

/**
 * A string equal for values Python considers equal (and so hashes alike): set membership,
 * `distinct`, `groupBy` keys. Python lists and dicts are unhashable, as in Python.
 */
export function hashKey(value: unknown, meter: WorkMeter, depth = 0): string {
  meter.step();
  if (value === null || value === undefined) return 'N';
  const number = numeric(value);
  if (number !== undefined) return `n${number === 0 ? 0 : number}`;
  if (typeof value === 'string') {
    if (value.length > 1024) meter.step(value.length >> 8);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    if (pythonLists.has(value)) throw new YaqlError('type', "unhashable type: 'list'");
    meter.checkDataDepth(depth);
    return `[${value.map((item) => hashKey(item, meter, depth + 1)).join(',')}]`;
  }
  if (value instanceof YaqlSet) return `S{${[...value.keys].sort().join(',')}}`;
  if (isDict(value)) {
    if (mutableDicts.has(value)) throw new YaqlError('type', "unhashable type: 'dict'");
    meter.checkDataDepth(depth);
    const entries = dictItems(value).map(([key, item]) => `${hashKey(key, meter, depth + 1)}:${hashKey(item, meter, depth + 1)}`);
    return `{${entries.sort().join(',')}}`;
  }
  if (value instanceof RegexValue) return regexKey(value);
  return identity(value as object);
}

function regexKey(value: RegexValue): string {
  const { ignoreCase, multiLine, dotAll } = value.flags;
  return `R${Number(ignoreCase)}${Number(multiLine)}${Number(dotAll)}${JSON.stringify(value.pattern)}`;
}

/** yaql's `str()`: null, true and false as yaql writes them; everything else as Python's str(). */
export function yaqlStr(value: unknown, meter: WorkMeter): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return value;
  return new ReprWriter(meter).repr(value, 0);
}

/** Python's repr() of a value (strings quoted, None, True). */
export function pyRepr(value: unknown, meter: WorkMeter): string {
  return new ReprWriter(meter).repr(value, 0);
}

class ReprWriter {
  private length = 0;

  constructor(private readonly meter: WorkMeter) {}

  private add(text: string): string {
    this.length += text.length;
    this.meter.checkString(this.length);
    return text;
  }

  repr(value: unknown, depth: number): string {
    this.meter.step();
    if (value === null || value === undefined) return this.add('None');
    if (value === true) return this.add('True');
    if (value === false) return this.add('False');
    if (typeof value === 'number') return this.add(Number.isInteger(value) ? intText(value) : floatRepr(value));
    if (value instanceof PyFloat) return this.add(floatRepr(value.value));
    if (typeof value === 'string') return this.add(stringRepr(value));
    if (Array.isArray(value)) {
      this.meter.checkDataDepth(depth);
      const items = value.map((item) => this.repr(item, depth + 1));
      if (isPythonList(value)) return `[${items.join(', ')}]`;
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    }
    if (value instanceof YaqlSet) {
      this.meter.checkDataDepth(depth);
      return value.items.length === 0 ? 'frozenset()' : `frozenset({${value.items.map((item) => this.repr(item, depth + 1)).join(', ')}})`;
    }
    if (isDict(value)) {
      this.meter.checkDataDepth(depth);
      return `{${dictItems(value).map(([key, item]) => `${this.repr(key, depth + 1)}: ${this.repr(item, depth + 1)}`).join(', ')}}`;
    }
    if (value instanceof RegexValue) return this.add(`re.compile(${stringRepr(value.pattern)})`);
    if (value instanceof ScopeValue) return this.add('<yaql context>');
    if (value instanceof LazySequence) return this.add('<iterator>');
    return this.add('<object>');
  }
}

/** An int as Python prints it: all the digits of the double's exact value, never an exponent. */
function intText(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** Python's repr() of a float: the shortest round-trip digits, fixed notation for exponents -4 to 15. */
export function floatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1);
    return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
  }
  const shown = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  return `${sign}${shown}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

const unprintable = /[\p{C}\p{Z}]/u;

/** Python's repr() of a str: single quotes unless it holds only single quotes, escapes for the unprintable. */
export function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && unprintable.test(char)) {
      const code = char.codePointAt(0)!;
      out += code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += char;
  }
  return out + quote;
}
