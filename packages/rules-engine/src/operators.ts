import { underWatchdog } from '@packrun/core';
import { parseDateUtc } from './date-parse.ts';
import { fnmatch } from './fnmatch.ts';
import { compilePythonRegex } from './python-regex.ts';
import { PythonTypeError, pyCompare, pyEquals, pyIn, requireString } from './python-values.ts';

/**
 * The criteria comparison operators, with StackStorm's semantics (st2common/operators.py): the
 * payload value is on the left, the rule's (rendered) pattern on the right; a missing pattern
 * makes every operator but `nequals`, `exists` and `nexists` false; a type mismatch raises, and the
 * evaluator turns that into "no match". `search` is handled by the evaluator because it recurses.
 */
type Operator = (value: unknown, pattern: unknown, now: () => number) => boolean;

const isNone = (value: unknown): boolean => value === null || value === undefined;

/** Wraps an operator so that a missing pattern never matches. */
const needsPattern =
  (operator: Operator): Operator =>
  (value, pattern, now) =>
    isNone(pattern) ? false : operator(value, pattern, now);

const lower = (value: unknown, role: string): string => requireString(value, role).toLowerCase();

const timediff =
  (compare: (seconds: number, period: unknown) => boolean): Operator =>
  (value, pattern, now) => {
    const target = parseDateUtc(requireString(value, 'timediff value'));
    return compare((now() - target) / 1000, pattern);
  };

const equals: Operator = (value, pattern) => pyEquals(value, pattern);
const nequals: Operator = (value, pattern) => !pyEquals(value, pattern);
const iequals: Operator = (value, pattern) => lower(value, 'value') === lower(pattern, 'pattern');
const contains: Operator = (value, pattern) => pyIn(pattern, value);
const icontains: Operator = (value, pattern) => lower(value, 'value').includes(lower(pattern, 'pattern'));
const ncontains: Operator = (value, pattern) => !pyIn(pattern, value);
const incontains: Operator = (value, pattern) => !lower(value, 'value').includes(lower(pattern, 'pattern'));
const startswith: Operator = (value, pattern) => requireString(value, 'value').startsWith(requireString(pattern, 'pattern'));
const istartswith: Operator = (value, pattern) => lower(value, 'value').startsWith(lower(pattern, 'pattern'));
const endswith: Operator = (value, pattern) => requireString(value, 'value').endsWith(requireString(pattern, 'pattern'));
const iendswith: Operator = (value, pattern) => lower(value, 'value').endsWith(lower(pattern, 'pattern'));
const lessThan: Operator = (value, pattern) => pyCompare(value, pattern) < 0;
const greaterThan: Operator = (value, pattern) => pyCompare(value, pattern) > 0;
/**
 * How long one pattern match of a criterion may run. Patterns come from rules (a pack's, or an API
 * caller's) and values from trigger payloads; JavaScript's regex engine backtracks, so a pattern
 * such as `^(a+)+$` on a crafted payload would hold the rules engine for minutes. Past this, the
 * criterion does not match and says why.
 */
const criterionMatchTimeoutMs = 1000;

function bounded(pattern: string, match: () => boolean): boolean {
  const outcome = underWatchdog(match, criterionMatchTimeoutMs);
  if ('value' in outcome) return outcome.value;
  throw new Error(`matching the pattern ${JSON.stringify(pattern.length > 200 ? `${pattern.slice(0, 200)}...` : pattern)} took longer than ${criterionMatchTimeoutMs} ms (nested repetition such as (a+)+ can take exponential time)`);
}

function regexOperator(options: { ignoreCase?: boolean; dotAll?: boolean; sticky?: boolean }): Operator {
  return (value, pattern) => {
    const source = requireString(pattern, 'pattern');
    const compiled = compilePythonRegex(source, options);
    const text = requireString(value, 'value');
    return bounded(source, () => compiled.test(text));
  };
}

const matchWildcard: Operator = (value, pattern) => {
  const source = requireString(pattern, 'pattern');
  const text = requireString(value, 'value');
  return bounded(source, () => fnmatch(text, source));
};
const matchRegex = regexOperator({ dotAll: true, sticky: true });
const regex = regexOperator({});
const iregex = regexOperator({ ignoreCase: true });
const exists: Operator = (value) => !isNone(value);
const nexists: Operator = (value) => isNone(value);
const inside: Operator = (value, pattern) => pyIn(value, pattern);
const ninside: Operator = (value, pattern) => !pyIn(value, pattern);

const secondsCompare = (sign: -1 | 1) => (seconds: number, period: unknown) => {
  if (typeof period !== 'number' && typeof period !== 'boolean') throw new PythonTypeError('timediff pattern must be a number of seconds');
  return pyCompare(seconds, period) === sign;
};

export const operators: Readonly<Record<string, Operator>> = {
  equals: needsPattern(equals),
  eq: needsPattern(equals),
  nequals,
  neq: nequals,
  iequals: needsPattern(iequals),
  ieq: needsPattern(iequals),
  contains: needsPattern(contains),
  icontains: needsPattern(icontains),
  ncontains: needsPattern(ncontains),
  incontains: needsPattern(incontains),
  startswith: needsPattern(startswith),
  istartswith: needsPattern(istartswith),
  endswith: needsPattern(endswith),
  iendswith: needsPattern(iendswith),
  lessthan: needsPattern(lessThan),
  lt: needsPattern(lessThan),
  greaterthan: needsPattern(greaterThan),
  gt: needsPattern(greaterThan),
  matchwildcard: needsPattern(matchWildcard),
  matchregex: needsPattern(matchRegex),
  regex: needsPattern(regex),
  iregex: needsPattern(iregex),
  timediff_lt: needsPattern(timediff(secondsCompare(-1))),
  td_lt: needsPattern(timediff(secondsCompare(-1))),
  timediff_gt: needsPattern(timediff(secondsCompare(1))),
  td_gt: needsPattern(timediff(secondsCompare(1))),
  exists,
  nexists,
  inside: needsPattern(inside),
  in: needsPattern(inside),
  ninside: needsPattern(ninside),
  nin: needsPattern(ninside),
};

export const searchOperator = 'search';
export const searchConditions = ['any', 'all', 'all2any', 'any2any'] as const;
export type SearchCondition = (typeof searchConditions)[number];

/** Every operator name a rule may use (StackStorm lower-cases the name before looking it up). */
export const operatorNames: readonly string[] = [...Object.keys(operators), searchOperator];
