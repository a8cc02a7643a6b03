import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { cronSchedule } from './cron-fields.ts';

const next = (parameters: Record<string, unknown>, from: string, count = 3): string[] => {
  const { pattern, timezone } = cronSchedule(parameters, 'core.st2.CronTimer.test');
  return new Cron(pattern, { timezone, legacyMode: false }).nextRuns(count, new Date(from)).map((date) => date.toISOString());
};

describe('cronSchedule (APScheduler fields to a cron pattern)', () => {
  it.each<[Record<string, unknown>, string]>([
    [{ hour: 5 }, '0 0 5 * * *'],
    [{ minute: '*/15' }, '0 */15 * * * *'],
    [{ day_of_week: 'mon-fri', hour: 9, minute: 30 }, '0 30 9 * * mon-fri'],
    [{ day_of_week: '0-4', hour: 9 }, '0 0 9 * * 1-5'],
    [{ day_of_week: '5,6' }, '0 0 0 * * 6,7'],
    [{ month: 1, day: 'last' }, '0 0 0 L 1 *'],
    [{ second: '*/10' }, '*/10 * * * * *'],
    [{}, '0 * * * * *'],
  ])('%j -> %s', (parameters, pattern) => {
    expect(cronSchedule(parameters, 't').pattern).toBe(pattern);
  });

  it('counts weekdays from Monday = 0 as APScheduler does', () => {
    // 2026-11-21 is a Saturday; 5-6 is Saturday and Sunday.
    expect(next({ day_of_week: '5-6', hour: 9 }, '2026-11-20T12:00:00Z')).toEqual([
      '2026-11-21T09:00:00.000Z',
      '2026-11-22T09:00:00.000Z',
      '2026-11-28T09:00:00.000Z',
    ]);
  });

  it('schedules in the given timezone, UTC by default', () => {
    expect(next({ hour: 9, timezone: 'Europe/Stockholm' }, '2026-11-20T12:00:00Z', 1)).toEqual(['2026-11-21T08:00:00.000Z']);
    expect(next({ hour: 9 }, '2026-11-20T12:00:00Z', 1)).toEqual(['2026-11-21T09:00:00.000Z']);
  });

  it('checks the year at firing time', () => {
    const { yearMatches } = cronSchedule({ year: '2027-2028,2030', hour: 1 }, 't');
    expect([2026, 2027, 2028, 2029, 2030].map(yearMatches)).toEqual([false, true, true, false, true]);
  });

  it('refuses what it cannot schedule, naming the field', () => {
    expect(() => cronSchedule({ week: 12 }, 'core.st2.CronTimer.x')).toThrow(expect.objectContaining({ code: 'TIMER_PARAMETERS_UNSUPPORTED' }));
    expect(() => cronSchedule({ year: 'odd' }, 'core.st2.CronTimer.x')).toThrow(/year "odd"/);
  });
});
