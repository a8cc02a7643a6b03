import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionDefinition } from './functions.ts';
import { compare } from './operators.ts';
import { pyRound, toFloat, toInt } from './python-numbers.ts';
import { float, isFloat, isInteger, numberValue } from './values.ts';

/** yaql's math functions (the arithmetic operators are in operators.ts). */

const number = (name: string) => parameter(name, types.number);
const int = (name: string) => parameter(name, types.int);

function bitwise(name: string, operation: (left: bigint, right: bigint) => bigint): FunctionDefinition {
  return define(name, 'function', [int('left'), int('right')], ([left, right]) => Number(operation(BigInt(Number(left)), BigInt(Number(right)))));
}

export const mathFunctions: FunctionDefinition[] = [
  define('abs', 'function', [number('op')], ([value]) => (isFloat(value) ? float(Math.abs(numberValue(value))) : Math.abs(value as number))),
  define('int', 'function', [parameter('value', types.any)], ([value]) => toInt(value)),
  define('float', 'function', [parameter('value', types.any)], ([value]) => toFloat(value)),
  define('random', 'function', [], () => Math.random()),
  define('random', 'function', [parameter('from', types.int), parameter('to', types.int)], ([from, to]) => {
    const [low, high] = [Number(from), Number(to)];
    if (high < low) throw new YaqlError('value', `empty range for random(${low}, ${high})`);
    return low + Math.floor(Math.random() * (high - low + 1));
  }),
  bitwise('bitwiseAnd', (left, right) => left & right),
  bitwise('bitwiseOr', (left, right) => left | right),
  bitwise('bitwiseXor', (left, right) => left ^ right),
  define('bitwiseNot', 'function', [int('arg')], ([value]) => -Number(value) - 1),
  define('shiftBitsLeft', 'function', [int('value'), int('bitsNumber')], ([value, bits], context) => {
    if (Number(bits) < 0) throw new YaqlError('value', 'negative shift count');
    const result = BigInt(Number(value)) << BigInt(Math.min(Number(bits), 1100));
    context.meter.step();
    return Number(result);
  }),
  define('shiftBitsRight', 'function', [int('value'), int('bitsNumber')], ([value, bits]) => {
    if (Number(bits) < 0) throw new YaqlError('value', 'negative shift count');
    return Number(BigInt(Number(value)) >> BigInt(Math.min(Number(bits), 1100)));
  }),
  define('max', 'function', [parameter('a', types.any), parameter('b', types.any)], ([a, b], context) => (compare('>', b, a, context.meter) ? b : a)),
  define('min', 'function', [parameter('a', types.any), parameter('b', types.any)], ([a, b], context) => (compare('>', b, a, context.meter) ? a : b)),
  define('pow', 'function', [number('a'), number('b'), parameter('c', types.numberOrNull, { default: null })], ([a, b, c]) => power(a, b, c)),
  define('sign', 'function', [number('num')], ([value]) => Math.sign(numberValue(value)) + 0),
  define('round', 'function', [number('number'), parameter('ndigits', types.int, { default: 0 })], ([value, digits]) => pyRound(value, Number(digits))),
  define('isInteger', 'function', [parameter('value', types.any)], ([value]) => isInteger(value)),
  define('isNumber', 'function', [parameter('value', types.any)], ([value]) => typeof value === 'number' || isFloat(value)),
];

function power(base: unknown, exponent: unknown, modulus: unknown): unknown {
  const [a, b] = [numberValue(base), numberValue(exponent)];
  if (modulus !== null) {
    if (!isInteger(base) || !isInteger(exponent) || !isInteger(modulus)) throw new YaqlError('type', 'pow() 3rd argument not allowed unless all arguments are integers');
    if (modulus === 0) throw new YaqlError('value', 'pow() 3rd argument cannot be 0');
    if (b < 0) throw new YaqlError('value', 'pow() with a negative exponent and a modulus is not supported');
    const m = BigInt(modulus);
    let result = 1n;
    let factor = ((BigInt(a) % m) + m) % m;
    for (let e = BigInt(b); e > 0n; e >>= 1n) {
      if (e & 1n) result = (result * factor) % m;
      factor = (factor * factor) % m;
    }
    const value = Number(result);
    return value !== 0 && value < 0 !== modulus < 0 ? value + modulus : value;
  }
  if (a === 0 && b < 0) throw new YaqlError('value', '0.0 cannot be raised to a negative power');
  const result = a ** b;
  if (Number.isNaN(result) && !Number.isNaN(a) && !Number.isNaN(b)) throw new YaqlError('value', 'a negative number raised to a fractional power is complex, which yaql cannot return');
  return isInteger(base) && isInteger(exponent) && b >= 0 ? result : float(result);
}
