import { describe, expect, it } from 'vitest';
import { BudgetMeter } from './budget-meter.ts';

class LimitExceeded extends Error {
  constructor(
    readonly limit: string,
    message: string,
  ) {
    super(message);
  }
}

const limits = { maxSteps: 100, maxMilliseconds: 60_000, maxStringLength: 1_000_000, maxCollectionLength: 10, maxDataDepth: 3 };

function meter(chargeStringLength: boolean, overrides: Partial<typeof limits> = {}): BudgetMeter<typeof limits, LimitExceeded> {
  return new BudgetMeter({ ...limits, ...overrides }, {
    run: 'test run',
    limitError: (limit, what, value) => new LimitExceeded(limit, `${what} exceeds ${limit} (${value})`),
    chargeStringLength,
  });
}

function refusal(action: () => void): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof LimitExceeded) return `${error.limit}: ${error.message}`;
    throw error;
  }
  return undefined;
}

describe('BudgetMeter', () => {
  it("throws the language's error naming the limit and the run", () => {
    const work = meter(false);
    expect(refusal(() => work.step(100))).toBeUndefined();
    expect(refusal(() => work.step())).toBe('maxSteps: the work of this test run exceeds maxSteps (100)');
    expect(refusal(() => meter(false).checkCollection(11))).toBe('maxCollectionLength: a collection of 11 items exceeds maxCollectionLength (10)');
    expect(refusal(() => meter(false).checkDataDepth(4))).toBe('maxDataDepth: the nesting of the data exceeds maxDataDepth (3)');
    expect(refusal(() => meter(false).checkString(1_000_001))).toBe('maxStringLength: a string of 1000001 characters exceeds maxStringLength (1000000)');
    expect(meter(false).timeLimitError().message).toBe('the time this test run took exceeds maxMilliseconds (60000)');
  });

  it('charges a long string to the steps only when asked to', () => {
    expect(refusal(() => meter(false).checkString(1_000_000))).toBeUndefined();
    expect(refusal(() => meter(true).checkString(1024))).toBeUndefined();
    expect(refusal(() => meter(true).checkString(1_000_000))).toMatch(/^maxSteps: /);
  });

  it('checks the clock as steps are charged', () => {
    const late = meter(false, { maxSteps: Infinity, maxMilliseconds: -1 });
    expect(late.remainingMilliseconds()).toBeLessThan(0);
    expect(refusal(() => late.step(4095))).toBeUndefined();
    expect(refusal(() => late.step())).toMatch(/^maxMilliseconds: the time this test run took/);
  });
});
