import { BudgetMeter } from '@packrun/expression-kit';
import { YaqlError } from './errors.ts';

/**
 * How much one evaluation may do. Expressions come from workflow authors and their data from task
 * results and trigger payloads, so every way an expression can make the runtime work, allocate or
 * recurse is bounded, and exceeding a bound fails the evaluation at once with an error naming it.
 */
export interface Limits {
  /** Work units per evaluation: each node evaluated, each item a function visits. */
  maxSteps: number;
  /** Wall-clock milliseconds per evaluation, checked as steps are charged and given to regular expressions as their timeout. */
  maxMilliseconds: number;
  /** Characters of any one string the expression creates (`+`, `*`, `join`, `str`...). */
  maxStringLength: number;
  /** Items of any one list, dict or set the expression creates, or of a result it returns. */
  maxCollectionLength: number;
  /** Nesting of the expression's syntax (parentheses, operators, calls) and of its evaluation. */
  maxNestingDepth: number;
  /** Nesting of data the engine walks to compare, print, hash or return it. */
  maxDataDepth: number;
  /** Characters of an expression's source. */
  maxSourceLength: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxSteps: 2_000_000,
  maxMilliseconds: 2000,
  maxStringLength: 8 * 1024 * 1024,
  maxCollectionLength: 100_000,
  maxNestingDepth: 200,
  maxDataDepth: 256,
  maxSourceLength: 256 * 1024,
});

export function limitError(limit: keyof Limits, what: string, value: number): YaqlError {
  return new YaqlError('limit', `${what} exceeds the expression limit ${limit} (${value})`, { limit });
}

/**
 * The meter one evaluation charges its work to. Functions receive it too, so work they do on the
 * expression's behalf (walking a list, building a string) counts against the same limits.
 */
export class WorkMeter extends BudgetMeter<Limits, YaqlError> {
  constructor(limits: Readonly<Limits>) {
    super(limits, { run: 'evaluation', limitError, chargeStringLength: true });
  }
}
