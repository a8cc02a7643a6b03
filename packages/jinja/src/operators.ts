import { dictEntries, ownValue, stringCharacters } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { pythonPercentFormat } from './python-format.ts';
import { pyStr } from './python-values.ts';
import { aTypeName, isPlainObject, isTuple } from './template-values.ts';

/**
 * Python's operators over template values: truthiness, `==` (deep, `1 == 1.0 == True`), ordering,
 * `in`, arithmetic (`+` concatenates strings and lists, `*` repeats them, `//` floors, `%` is a
 * modulo with the divisor's sign or string formatting), and `~`. A mix Python refuses (`'a' + 1`)
 * is an error here too. Values are defined (the interpreter handles Undefined before calling).
 * Everything that builds a string or a list checks the size limits before building it.
 */

export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return dictEntries(value).length > 0;
  return true;
}

const numeric = (value: unknown): value is number | boolean => typeof value === 'number' || typeof value === 'boolean';

export function pyEquals(left: unknown, right: unknown, meter: WorkMeter, depth = 0): boolean {
  meter.step();
  if (numeric(left) && numeric(right)) return Number(left) === Number(right);
  if (typeof left === 'string' || typeof right === 'string') return left === right;
  if (Array.isArray(left) && Array.isArray(right)) {
    meter.checkDataDepth(depth);
    return left.length === right.length && left.every((item, index) => pyEquals(item, right[index], meter, depth + 1));
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    meter.checkDataDepth(depth);
    const leftEntries = dictEntries(left);
    if (leftEntries.length !== dictEntries(right).length) return false;
    return leftEntries.every(([key, value]) => {
      const other = ownValue(right, key);
      return other !== undefined && pyEquals(value, other, meter, depth + 1);
    });
  }
  return left === right;
}

/** -1, 0 or 1 as Python orders the two values; a TypeError where Python has no order. */
export function pyCompare(left: unknown, right: unknown, operator: string, meter: WorkMeter, depth = 0): number {
  meter.step();
  if (numeric(left) && numeric(right)) return Math.sign(Number(left) - Number(right));
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  if (Array.isArray(left) && Array.isArray(right)) {
    meter.checkDataDepth(depth);
    for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
      if (!pyEquals(left[index], right[index], meter)) return pyCompare(left[index], right[index], operator, meter, depth + 1);
    }
    return Math.sign(left.length - right.length);
  }
  throw new TemplateError('type', `"${operator}" is not supported between ${aTypeName(left)} and ${aTypeName(right)}`);
}

/** Python's `item in container`. */
export function pyContains(container: unknown, item: unknown, meter: WorkMeter): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TemplateError('type', `"in <string>" needs a string on the left, not ${aTypeName(item)}`);
    meter.step(Math.ceil(container.length / 64));
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((entry) => pyEquals(entry, item, meter));
  if (isPlainObject(container)) {
    if (typeof item === 'string' || typeof item === 'number') return ownValue(container, String(item)) !== undefined;
    return false;
  }
  throw new TemplateError('type', `${aTypeName(container)} is not a container ("in" needs a string, list or dict)`);
}

export function binaryOperation(operator: string, left: unknown, right: unknown, meter: WorkMeter): unknown {
  switch (operator) {
    case '+':
      if (numeric(left) && numeric(right)) return Number(left) + Number(right);
      if (typeof left === 'string' && typeof right === 'string') {
        meter.checkString(left.length + right.length);
        return left + right;
      }
      if (Array.isArray(left) && Array.isArray(right)) {
        meter.checkCollection(left.length + right.length);
        meter.step(left.length + right.length);
        return [...left, ...right];
      }
      break;
    case '-':
      if (numeric(left) && numeric(right)) return Number(left) - Number(right);
      break;
    case '*':
      if (numeric(left) && numeric(right)) return Number(left) * Number(right);
      if (numeric(right) && (typeof left === 'string' || Array.isArray(left))) return repeat(left, Number(right), meter);
      if (numeric(left) && (typeof right === 'string' || Array.isArray(right))) return repeat(right, Number(left), meter);
      break;
    case '/':
      if (numeric(left) && numeric(right)) return Number(left) / divisor(right);
      break;
    case '//':
      if (numeric(left) && numeric(right)) return Math.floor(Number(left) / divisor(right));
      break;
    case '%':
      if (typeof left === 'string') return isTuple(right) ? pythonPercentFormat(left, right as unknown[], meter) : pythonPercentFormat(left, [right], meter, Array.isArray(right));
      if (numeric(left) && numeric(right)) {
        const modulus = divisor(right);
        const remainder = Number(left) % modulus;
        return remainder !== 0 && Math.sign(remainder) !== Math.sign(modulus) ? remainder + modulus : remainder;
      }
      break;
    case '**':
      if (numeric(left) && numeric(right)) {
        if (Number(left) === 0 && Number(right) < 0) throw new TemplateError('type', '0 cannot be raised to a negative power');
        return Number(left) ** Number(right);
      }
      break;
    case '~': {
      const text = pyStr(left, meter);
      const more = pyStr(right, meter);
      meter.checkString(text.length + more.length);
      return text + more;
    }
    default:
      break;
  }
  throw new TemplateError('type', `unsupported operand types for ${operator}: ${aTypeName(left)} and ${aTypeName(right)}`);
}

function divisor(value: number | boolean): number {
  const number = Number(value);
  if (number === 0) throw new TemplateError('type', 'division by zero');
  return number;
}

function repeat(value: string | unknown[], times: number, meter: WorkMeter): string | unknown[] {
  if (!Number.isInteger(times)) throw new TemplateError('type', `a sequence can only be repeated an integer number of times, not ${times}`);
  const count = Math.max(0, times);
  if (value.length === 0 || count === 0) return typeof value === 'string' ? '' : [];
  if (typeof value === 'string') {
    meter.checkString(value.length * count);
    return value.repeat(count);
  }
  meter.checkCollection(value.length * count);
  meter.step(value.length * count);
  const out: unknown[] = [];
  for (let index = 0; index < count; index += 1) out.push(...value);
  return out;
}

export function unaryOperation(operator: 'negative' | 'positive', operand: unknown): number {
  if (!numeric(operand)) throw new TemplateError('type', `bad operand type for unary ${operator === 'negative' ? '-' : '+'}: ${aTypeName(operand)}`);
  return operator === 'negative' ? -Number(operand) : Number(operand);
}

/** What `for x in value` iterates: list items, string characters, dict keys. */
export function iterationItems(value: unknown, meter: WorkMeter): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    meter.step(Math.ceil(value.length / 64));
    return stringCharacters(value);
  }
  if (isPlainObject(value)) return dictEntries(value).map(([key]) => key);
  throw new TemplateError('type', `${aTypeName(value)} cannot be iterated`);
}
