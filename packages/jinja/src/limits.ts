import { BudgetMeter } from '@packrun/expression-kit';
import { TemplateError } from './errors.ts';

/**
 * How much one render may do. Templates come from packs, API callers and rules that copy trigger
 * data, so every way a template can make the runtime work, allocate or recurse is bounded, and
 * exceeding a bound fails the render at once with an error naming the limit.
 */
export interface Limits {
  /** Work units per render: each expression evaluated, loop iteration and item a filter visits. */
  maxSteps: number;
  /** Characters of rendered output. */
  maxOutputLength: number;
  /** Characters of any one string the template creates (`~`, `*`, `join`, `format`, `repr`...). */
  maxStringLength: number;
  /** Items of any one list or dict the template creates (`range`, `*`, `+`, literals, `append`). */
  maxCollectionLength: number;
  /** Nesting of the template's syntax: parentheses, literals, operators, blocks. */
  maxNestingDepth: number;
  /** Nesting of data the engine walks to print, compare or serialise it. */
  maxDataDepth: number;
  /**
   * Wall-clock milliseconds per render, checked as steps are charged; filters that run one long
   * operation (a regular expression) take the time left as their own timeout.
   */
  maxMilliseconds: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  maxSteps: 2_000_000,
  maxOutputLength: 8 * 1024 * 1024,
  maxStringLength: 8 * 1024 * 1024,
  maxCollectionLength: 100_000,
  maxNestingDepth: 100,
  maxDataDepth: 256,
  maxMilliseconds: 2000,
});

export function limitError(limit: keyof Limits, what: string, value: number): TemplateError {
  return new TemplateError('limit', `${what} exceeds the template limit ${limit} (${value})`, { limit });
}

/**
 * The meter one render charges its work to. Filters and functions receive it too, so work they do
 * on the template's behalf (walking a list, building a string) counts against the same limits.
 */
export class WorkMeter extends BudgetMeter<Limits, TemplateError> {
  constructor(limits: Readonly<Limits>) {
    super(limits, { run: 'render', limitError, chargeStringLength: false });
  }
}

/** A meter without bounds, for printing values outside a render (the embedder's own use). */
export function unmeteredWork(): WorkMeter {
  return unmetered;
}

const unmetered = new WorkMeter({
  maxSteps: Infinity,
  maxOutputLength: Infinity,
  maxStringLength: Infinity,
  maxCollectionLength: Infinity,
  maxNestingDepth: Infinity,
  maxDataDepth: Infinity,
  maxMilliseconds: Infinity,
});
