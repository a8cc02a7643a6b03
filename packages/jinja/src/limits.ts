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

const clockCheckInterval = 4096;

/**
 * The meter one render charges its work to. Filters and functions receive it too, so work they do
 * on the template's behalf (walking a list, building a string) counts against the same limits.
 */
export class WorkMeter {
  readonly limits: Readonly<Limits>;
  private steps = 0;
  private nextClockCheck = clockCheckInterval;
  private readonly deadline: number;

  constructor(limits: Readonly<Limits>) {
    this.limits = limits;
    this.deadline = performance.now() + limits.maxMilliseconds;
  }

  /** Charges `count` steps; every few thousand steps, also checks the clock. */
  step(count = 1): void {
    this.steps += count;
    if (this.steps > this.limits.maxSteps) throw limitError('maxSteps', 'the work of this render', this.limits.maxSteps);
    if (this.steps >= this.nextClockCheck) {
      this.nextClockCheck = this.steps + clockCheckInterval;
      if (this.remainingMilliseconds() <= 0) throw this.timeLimitError();
    }
  }

  /** Milliseconds left before the render's time limit. */
  remainingMilliseconds(): number {
    return this.deadline - performance.now();
  }

  timeLimitError(): TemplateError {
    return limitError('maxMilliseconds', 'the time this render took', this.limits.maxMilliseconds);
  }

  /** Refuses a string the template is about to create when it would be too long. */
  checkString(length: number): void {
    if (length > this.limits.maxStringLength) throw limitError('maxStringLength', `a string of ${length} characters`, this.limits.maxStringLength);
  }

  /** Refuses a list or dict the template is about to create when it would have too many items. */
  checkCollection(length: number): void {
    if (length > this.limits.maxCollectionLength) {
      throw limitError('maxCollectionLength', `a collection of ${length} items`, this.limits.maxCollectionLength);
    }
  }

  /** Refuses to walk deeper into nested data. */
  checkDataDepth(depth: number): void {
    if (depth > this.limits.maxDataDepth) throw limitError('maxDataDepth', 'the nesting of the data', this.limits.maxDataDepth);
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
