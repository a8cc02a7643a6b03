import { YaqlError } from './errors.ts';
import { stringRepr } from './python-values.ts';
import { float, isFloat, isNumber, numberValue, PyFloat, aTypeName } from './values.ts';

/** Python's int(), float() and round(), which yaql's functions of the same names call. */

const intLiteral = /^[+-]?\d+(?:_\d+)*$/u;
const floatLiteral = /^[+-]?(?:(?:\d+(?:_\d+)*)(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/u;
const special = /^([+-]?)(inf|infinity|nan)$/iu;

export function toInt(value: unknown): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return Number(value);
  if (isNumber(value)) {
    const number = numberValue(value);
    if (!Number.isFinite(number)) throw new YaqlError('value', `cannot convert float ${number} to integer`);
    return Math.trunc(number) + 0;
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (!intLiteral.test(text)) throw new YaqlError('value', `invalid literal for int() with base 10: ${stringRepr(value)}`);
    return Number(text.replaceAll('_', ''));
  }
  throw new YaqlError('type', `int() cannot convert ${aTypeName(value)}`);
}

export function toFloat(value: unknown): number | PyFloat {
  if (value === null) return new PyFloat(0);
  if (typeof value === 'boolean') return new PyFloat(Number(value));
  if (isNumber(value)) return float(numberValue(value));
  if (typeof value === 'string') {
    const text = value.trim();
    const named = special.exec(text);
    if (named) return named[2]!.toLowerCase() === 'nan' ? Number.NaN : named[1] === '-' ? -Infinity : Infinity;
    if (!floatLiteral.test(text)) throw new YaqlError('value', `could not convert string to float: ${stringRepr(value)}`);
    return float(Number(text.replaceAll('_', '')));
  }
  throw new YaqlError('type', `float() cannot convert ${aTypeName(value)}`);
}

/**
 * Python's round(number, ndigits): ties go to the even digit, judged on the exact binary value
 * (round(2.675, 2) is 2.67 because 2.675 is stored as 2.67499...). An int stays an int.
 */
export function pyRound(value: unknown, digits: number): unknown {
  const number = numberValue(value);
  if (!Number.isFinite(number)) {
    if (isFloat(value)) return value;
    throw new YaqlError('value', `cannot round ${number}`);
  }
  if (!isFloat(value) && digits >= 0) return number;
  const rounded = roundDecimal(number, digits);
  return isFloat(value) ? float(rounded) : rounded;
}

function roundDecimal(value: number, digits: number): number {
  if (Math.abs(value) >= 1e21 || digits > 100) return value;
  const exact = Math.abs(value).toFixed(100);
  const point = exact.indexOf('.');
  const all = exact.slice(0, point) + exact.slice(point + 1);
  const keep = point + digits;
  if (keep < 0) return 0 * Math.sign(value);
  const kept = all.slice(0, keep);
  const rest = all.slice(keep);
  let scaled = BigInt(kept === '' ? '0' : kept);
  const lastDigit = kept === '' ? 0 : Number(kept[kept.length - 1]);
  if (rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || lastDigit % 2 === 1))) scaled += 1n;
  const result = Number(`${scaled.toString()}e${-digits}`);
  return value < 0 || Object.is(value, -0) ? -result : result;
}
