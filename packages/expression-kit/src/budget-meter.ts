/** The limits every engine's meter enforces; each language adds its own (output, source length). */
interface WorkLimits {
  /** Work units per run: each node evaluated, each item a filter or function visits. */
  maxSteps: number;
  /** Wall-clock milliseconds per run, checked as steps are charged. */
  maxMilliseconds: number;
  /** Characters of any one string the run creates. */
  maxStringLength: number;
  /** Items of any one collection the run creates. */
  maxCollectionLength: number;
  /** Nesting of data the engine walks to compare, print or serialise it. */
  maxDataDepth: number;
}

interface BudgetMeterOptions<E extends Error> {
  /** What one run is called in messages: `render`, `evaluation`. */
  run: string;
  /** Builds the language's own error for an exceeded limit, so each keeps its error type and kind. */
  limitError: (limit: keyof WorkLimits, what: string, value: number) => E;
  /**
   * Whether a long string also costs steps (one per 256 characters beyond the first 1024). YAQL
   * does: its string functions build a result in one call without stepping per character. Jinja
   * does not: a render's text is bounded by its output limit, and its step budget counts
   * expressions, loop iterations and the items a filter visits.
   */
  chargeStringLength: boolean;
}

const clockCheckInterval = 4096;

/**
 * The meter one run (a render, an evaluation) charges its work to. Filters and functions receive
 * it too, so work they do on the run's behalf (walking a list, building a string) counts against
 * the same limits. Exceeding one throws at once the language's error naming the limit.
 */
export class BudgetMeter<L extends WorkLimits, E extends Error> {
  readonly limits: Readonly<L>;
  private readonly options: BudgetMeterOptions<E>;
  private steps = 0;
  private nextClockCheck = clockCheckInterval;
  private readonly deadline: number;

  constructor(limits: Readonly<L>, options: BudgetMeterOptions<E>) {
    this.limits = limits;
    this.options = options;
    this.deadline = performance.now() + limits.maxMilliseconds;
  }

  /** Charges `count` steps; every few thousand steps, also checks the clock. */
  step(count = 1): void {
    this.steps += count;
    if (this.steps > this.limits.maxSteps) throw this.options.limitError('maxSteps', `the work of this ${this.options.run}`, this.limits.maxSteps);
    if (this.steps >= this.nextClockCheck) {
      this.nextClockCheck = this.steps + clockCheckInterval;
      if (this.remainingMilliseconds() <= 0) throw this.timeLimitError();
    }
  }

  /** Milliseconds left before the run's time limit; one long operation (a regular expression) takes it as its timeout. */
  remainingMilliseconds(): number {
    return this.deadline - performance.now();
  }

  timeLimitError(): E {
    return this.options.limitError('maxMilliseconds', `the time this ${this.options.run} took`, this.limits.maxMilliseconds);
  }

  /** Refuses a string about to be created when it would be too long. */
  checkString(length: number): void {
    if (length > this.limits.maxStringLength) throw this.options.limitError('maxStringLength', `a string of ${length} characters`, this.limits.maxStringLength);
    if (this.options.chargeStringLength && length > 1024) this.step(length >> 8);
  }

  /** Refuses a collection about to be created when it would have too many items. */
  checkCollection(length: number): void {
    if (length > this.limits.maxCollectionLength) {
      throw this.options.limitError('maxCollectionLength', `a collection of ${length} items`, this.limits.maxCollectionLength);
    }
  }

  /** Refuses to walk deeper into nested data. */
  checkDataDepth(depth: number): void {
    if (depth > this.limits.maxDataDepth) throw this.options.limitError('maxDataDepth', 'the nesting of the data', this.limits.maxDataDepth);
  }
}
