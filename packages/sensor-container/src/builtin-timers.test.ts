import { createLogger, nowIso, type TriggerRecord } from '@packrun/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BuiltinTimers, pythonUtcString } from './builtin-timers.ts';

const logger = createLogger({ level: 'silent' });

function trigger(type: string, parameters: Record<string, unknown>, ref = `${type}.test`): TriggerRecord {
  return { id: ref, ref, pack: 'core', name: ref.slice(5), type, parameters, parametersKey: JSON.stringify(parameters), refCount: 1, createdAt: nowIso(), updatedAt: nowIso() };
}

async function until(check: () => boolean, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let timers: BuiltinTimers | undefined;
afterEach(() => timers?.stop());

describe('BuiltinTimers', () => {
  it('fires interval, date and cron timers with {executed_at, schedule}, and stops those whose trigger is gone', async () => {
    const fired: Array<{ ref: string; payload: Record<string, unknown> }> = [];
    timers = new BuiltinTimers(async (record, payload) => {
      fired.push({ ref: record.ref, payload });
    }, logger);
    const interval = trigger('core.st2.IntervalTimer', { unit: 'milliseconds', delta: 50 });
    const date = trigger('core.st2.DateTimer', { date: new Date(Date.now() + 1200).toISOString().replace(/\.\d+Z$/, 'Z') });
    const cron = trigger('core.st2.CronTimer', { second: '*' });
    const other = trigger('demo.event', {});
    timers.sync([interval, date, cron, other]);
    const count = (ref: string) => fired.filter((item) => item.ref === ref).length;
    await until(() => count(interval.ref) >= 3 && count(date.ref) === 1 && count(cron.ref) >= 1);
    expect(fired.find((item) => item.ref === interval.ref)?.payload).toEqual({
      executed_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$/),
      schedule: null,
    });
    expect(count(other.ref)).toBe(0);

    timers.sync([date, cron]);
    const stoppedAt = count(interval.ref);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(count(interval.ref)).toBe(stoppedAt);
  });

  it('does not schedule a timer it cannot (the others still run)', async () => {
    const fired: string[] = [];
    timers = new BuiltinTimers(async (record) => {
      fired.push(record.ref);
    }, logger);
    timers.sync([trigger('core.st2.CronTimer', { week: 3 }, 'core.st2.CronTimer.bad'), trigger('core.st2.IntervalTimer', { unit: 'milliseconds', delta: 20 })]);
    await until(() => fired.length >= 2);
    expect(fired).not.toContain('core.st2.CronTimer.bad');
  });
});

describe('pythonUtcString', () => {
  it('writes a UTC time as Python\'s str(datetime) does, leaving out a zero fraction', () => {
    expect(pythonUtcString(new Date(Date.UTC(2026, 0, 10, 12, 0, 5, 123)))).toBe('2026-01-10 12:00:05.123000+00:00');
    expect(pythonUtcString(new Date(Date.UTC(2026, 0, 10, 12, 0, 5, 7)))).toBe('2026-01-10 12:00:05.007000+00:00');
    expect(pythonUtcString(new Date(Date.UTC(2026, 0, 10, 12, 0, 5, 0)))).toBe('2026-01-10 12:00:05+00:00');
  });
});
