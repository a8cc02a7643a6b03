import { bindArguments, type CallArguments } from './arguments.ts';
import { TemplateError } from './errors.ts';
import { pyCompare, pyContains, pyEquals } from './operators.ts';
import { pyStr } from './python-values.ts';
import type { TestImpl } from './registry.ts';
import { aTypeName, isPlainObject, StringWithAttributes, TemplateFunction, Undefined, type CallContext } from './template-values.ts';

/**
 * Jinja's built-in tests (`x is defined`, `x is divisibleby 3`, `x is in [..]`...). A test that
 * compares fails on an undefined value unless undefined values are allowed, as StrictUndefined does.
 */

const isMissing = (value: unknown): boolean => value === undefined || value instanceof Undefined;

function compared(value: unknown, context: CallContext): unknown {
  if (value instanceof Undefined && !context.lenient && !value.lenient) throw new TemplateError('undefined', `"${value.expression}" is undefined`, { offset: value.offset });
  return value;
}

function other(args: CallArguments, test: string, context: CallContext): unknown {
  return compared(bindArguments(test, args, ['other'])['other'], context);
}

const comparison = (holds: (order: number) => boolean, operator: string): TestImpl => (value, args, context) => {
  const right = other(args, operator, context);
  return holds(pyCompare(compared(value, context), right, operator, context.meter));
};

const equality: TestImpl = (value, args, context) => pyEquals(compared(value, context), other(args, '==', context), context.meter);
const inequality: TestImpl = (value, args, context) => !equality(value, args, context);

const integerValue = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/** A number for odd/even/divisibleby: bools are ints, as in Python; anything else is a TypeError there too. */
function arithmetic(value: unknown, test: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  throw new TemplateError('type', `the test "${test}" needs a number, not ${aTypeName(value)}`);
}

/** Jinja's lower/upper tests: str(value).islower() / isupper(), at least one cased character and none of the other case. */
function hasCase(value: unknown, wanted: RegExp, other: RegExp, context: CallContext): boolean {
  const text = pyStr(value, context.meter);
  return wanted.test(text) && !other.test(text);
}

export const builtinTests: [string, TestImpl][] = [
  ['defined', (value) => !isMissing(value)],
  ['undefined', (value) => isMissing(value)],
  ['none', (value) => value === null],
  ['boolean', (value) => typeof value === 'boolean'],
  ['true', (value) => value === true],
  ['false', (value) => value === false],
  ['integer', (value) => integerValue(value)],
  ['float', (value) => typeof value === 'number' && !Number.isInteger(value)],
  ['number', (value) => typeof value === 'number' || typeof value === 'boolean'],
  ['string', (value) => typeof value === 'string' || value instanceof StringWithAttributes],
  ['mapping', (value) => isPlainObject(value)],
  ['iterable', (value) => typeof value === 'string' || Array.isArray(value) || isPlainObject(value)],
  ['sequence', (value) => typeof value === 'string' || Array.isArray(value) || isPlainObject(value)],
  ['callable', (value) => value instanceof TemplateFunction],
  ['escaped', () => false],
  ['sameas', (value, args) => Object.is(value, bindArguments('sameas', args, ['other'])['other'])],
  ['lower', (value, _args, context) => hasCase(value, /\p{Ll}/u, /\p{Lu}/u, context)],
  ['upper', (value, _args, context) => hasCase(value, /\p{Lu}/u, /\p{Ll}/u, context)],
  ['odd', (value) => Math.abs(arithmetic(value, 'odd') % 2) === 1],
  ['even', (value) => arithmetic(value, 'even') % 2 === 0],
  ['divisibleby', (value, args) => {
    const divisor = arithmetic(bindArguments('divisibleby', args, ['num'])['num'], 'divisibleby');
    if (divisor === 0) throw new TemplateError('type', 'divisibleby: division by zero');
    return arithmetic(value, 'divisibleby') % divisor === 0;
  }],
  ['in', (value, args, context) => pyContains(compared(bindArguments('in', args, ['seq'])['seq'], context), compared(value, context), context.meter)],
  ['eq', equality],
  ['equalto', equality],
  ['==', equality],
  ['ne', inequality],
  ['!=', inequality],
  ['lt', comparison((order) => order < 0, '<')],
  ['lessthan', comparison((order) => order < 0, '<')],
  ['<', comparison((order) => order < 0, '<')],
  ['le', comparison((order) => order <= 0, '<=')],
  ['<=', comparison((order) => order <= 0, '<=')],
  ['gt', comparison((order) => order > 0, '>')],
  ['greaterthan', comparison((order) => order > 0, '>')],
  ['>', comparison((order) => order > 0, '>')],
  ['ge', comparison((order) => order >= 0, '>=')],
  ['>=', comparison((order) => order >= 0, '>=')],
];
