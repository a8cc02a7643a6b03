import { iterate, lazy, makeSet, setHas } from './collections.ts';
import { dictItems, makeDict } from './dicts.ts';
import { YaqlError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { isPythonList, pyEquals, pythonList } from './python-values.ts';
import { compareStrings } from './text.ts';
import { float, isFloat, isInteger, isIterable, isNumber, isDict, LazySequence, numberValue, typeName, YaqlSet } from './values.ts';

/**
 * yaql's operators on values, with the overloads its standard library gives them: `+` adds
 * numbers, joins strings and lists, merges dicts; comparisons take numbers, strings or sets, and
 * null compares below everything. An operator given values it has no overload for fails, as in
 * yaql, rather than guess (`'a' + 1` is an error, not 'a1').
 */

function mismatch(operator: string, left: unknown, right: unknown): YaqlError {
  return new YaqlError('type', `the operator "${operator}" does not apply to ${typeName(left)} and ${typeName(right)}`);
}

/** A number result, float when either operand was. */
function arithmetic(result: number, left: unknown, right: unknown): unknown {
  return isFloat(left) || isFloat(right) ? float(result) : result;
}

export function add(left: unknown, right: unknown, meter: WorkMeter): unknown {
  if (typeof left === 'string' && typeof right === 'string') {
    meter.checkString(left.length + right.length);
    return left + right;
  }
  if (isIterable(left) && isIterable(right)) {
    if (Array.isArray(left) && Array.isArray(right) && !isPythonList(left) && !isPythonList(right)) {
      meter.checkCollection(left.length + right.length);
      meter.step(left.length + right.length);
      return [...left, ...right];
    }
    if (left instanceof YaqlSet && right instanceof YaqlSet) return makeSet([...left.items, ...right.items], meter);
    return concat([left, right], meter);
  }
  if (isDict(left) && isDict(right)) return makeDict([...dictItems(left), ...dictItems(right)], meter);
  if (isNumber(left) && isNumber(right)) return arithmetic(numberValue(left) + numberValue(right), left, right);
  throw mismatch('+', left, right);
}

/** The items of several iterables one after the other, lazily. */
export function concat(collections: readonly unknown[], meter: WorkMeter): LazySequence {
  return lazy(function* () {
    for (const collection of collections) yield* iterate(collection, meter);
  });
}

export function subtract(left: unknown, right: unknown, meter: WorkMeter): unknown {
  if (isNumber(left) && isNumber(right)) return arithmetic(numberValue(left) - numberValue(right), left, right);
  if (left instanceof YaqlSet && right instanceof YaqlSet) return makeSet(left.items.filter((item) => !setHas(right, item, meter)), meter);
  throw mismatch('-', left, right);
}

const isIntLike = (value: unknown): value is number | boolean => isInteger(value) || typeof value === 'boolean';

export function multiply(left: unknown, right: unknown, meter: WorkMeter): unknown {
  if (isNumber(left) && isNumber(right)) return arithmetic(numberValue(left) * numberValue(right), left, right);
  if (typeof left === 'string' && isIntLike(right)) return repeatString(left, Number(right), meter);
  if (isIntLike(left) && typeof right === 'string') return repeatString(right, Number(left), meter);
  if (Array.isArray(left) && isIntLike(right)) return repeatList(left, Number(right), meter);
  if (isIntLike(left) && Array.isArray(right)) return repeatList(right, Number(left), meter);
  throw mismatch('*', left, right);
}

function repeatString(text: string, times: number, meter: WorkMeter): string {
  if (times <= 0) return '';
  meter.checkString(text.length * times);
  return text.repeat(times);
}

function repeatList(items: readonly unknown[], times: number, meter: WorkMeter): unknown[] {
  const count = Math.max(0, times) * items.length;
  meter.checkCollection(count);
  meter.step(count);
  const out: unknown[] = [];
  for (let index = 0; index < times; index += 1) out.push(...items);
  return isPythonList(items) ? pythonList(out) : out;
}

export function divide(left: unknown, right: unknown): unknown {
  if (!isNumber(left) || !isNumber(right)) throw mismatch('/', left, right);
  const divisor = numberValue(right);
  if (divisor === 0) throw new YaqlError('value', isInteger(left) && isInteger(right) ? 'integer division or modulo by zero' : 'float division by zero');
  if (isInteger(left) && isInteger(right)) return Math.floor(left / right);
  return float(numberValue(left) / divisor);
}

export function modulo(left: unknown, right: unknown): unknown {
  if (!isNumber(left) || !isNumber(right)) throw mismatch('mod', left, right);
  const dividend = numberValue(left);
  const divisor = numberValue(right);
  if (divisor === 0) throw new YaqlError('value', isInteger(left) && isInteger(right) ? 'integer division or modulo by zero' : 'float modulo');
  let remainder = dividend % divisor;
  if (remainder !== 0 && remainder < 0 !== divisor < 0) remainder += divisor;
  // Python gives a zero remainder the divisor's sign (1.5 mod -0.5 is -0.0).
  if (remainder === 0) remainder = divisor < 0 ? -0 : 0;
  return arithmetic(remainder, left, right);
}

export function negate(operator: '-' | '+', operand: unknown): unknown {
  if (!isNumber(operand)) throw new YaqlError('type', `the operator "${operator}" does not apply to ${typeName(operand)}`);
  const value = operator === '-' ? -numberValue(operand) : numberValue(operand);
  return isFloat(operand) ? float(value) : value;
}

type Comparison = '<' | '>' | '<=' | '>=';

/** yaql's ordering: numbers, strings, sets (by inclusion); null is below any other value. */
export function compare(operator: Comparison, left: unknown, right: unknown, meter: WorkMeter): boolean {
  const leftNull = left === null || left === undefined;
  const rightNull = right === null || right === undefined;
  if (leftNull || rightNull) {
    const order = leftNull && rightNull ? 0 : leftNull ? -1 : 1;
    return holds(operator, order);
  }
  if (isNumber(left) && isNumber(right)) {
    const [a, b] = [numberValue(left), numberValue(right)];
    return holds(operator, a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.NaN);
  }
  if (typeof left === 'string' && typeof right === 'string') return holds(operator, compareStrings(left, right));
  if (left instanceof YaqlSet && right instanceof YaqlSet) {
    const leftInRight = left.items.every((item) => setHas(right, item, meter));
    const rightInLeft = right.items.every((item) => setHas(left, item, meter));
    switch (operator) {
      case '<': return leftInRight && !rightInLeft;
      case '<=': return leftInRight;
      case '>': return rightInLeft && !leftInRight;
      case '>=': return rightInLeft;
    }
  }
  throw mismatch(operator, left, right);
}

function holds(operator: Comparison, order: number): boolean {
  switch (operator) {
    case '<': return order < 0;
    case '>': return order > 0;
    case '<=': return order <= 0;
    case '>=': return order >= 0;
  }
}

/** `value in collection`: a substring of a string, or an item of a collection by equality. */
export function contains(value: unknown, collection: unknown, meter: WorkMeter): boolean {
  if (typeof value === 'string' && typeof collection === 'string') {
    meter.step(collection.length >> 8);
    return collection.includes(value);
  }
  if (collection instanceof YaqlSet) return setHas(collection, value, meter);
  if (!isIterable(collection)) throw mismatch('in', value, collection);
  for (const item of iterate(collection, meter)) if (pyEquals(value, item, meter)) return true;
  return false;
}
