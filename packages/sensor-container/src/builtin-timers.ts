import { Cron } from 'croner';
import type { Logger, TriggerRecord } from '@packrun/core';
import { cronSchedule } from './cron-fields.ts';

/**
 * The built-in timers (core.st2.IntervalTimer, DateTimer, CronTimer) as an in-process sensor: one
 * schedule per trigger that rules created, kept in step with the triggers in the store. Each
 * firing dispatches `{executed_at, schedule}` as StackStorm does: `executed_at` in Python's
 * `str(datetime)` form and `schedule` null.
 */
const timerTypes = ['core.st2.IntervalTimer', 'core.st2.DateTimer', 'core.st2.CronTimer'] as const;

const unitMs: Record<string, number> = {
  weeks: 7 * 24 * 3600 * 1000,
  days: 24 * 3600 * 1000,
  hours: 3600 * 1000,
  minutes: 60 * 1000,
  seconds: 1000,
  milliseconds: 1,
  microseconds: 0.001,
};

/** Intervals below this would only flood the bus. */
const minimumIntervalMs = 10;

interface Scheduled {
  stop(): void;
}

export class BuiltinTimers {
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly log: Logger;

  constructor(
    private readonly fire: (trigger: TriggerRecord, payload: Record<string, unknown>) => Promise<void>,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'timers' });
  }

  /** Schedules timer triggers that are new and unschedules those that are gone. */
  sync(triggers: readonly TriggerRecord[]): void {
    const wanted = new Map(triggers.filter((trigger) => (timerTypes as readonly string[]).includes(trigger.type)).map((trigger) => [trigger.ref, trigger]));
    for (const [ref, schedule] of this.scheduled) {
      if (!wanted.has(ref)) {
        schedule.stop();
        this.scheduled.delete(ref);
      }
    }
    for (const [ref, trigger] of wanted) {
      if (this.scheduled.has(ref)) continue;
      try {
        this.scheduled.set(ref, this.schedule(trigger));
      } catch (error) {
        this.log.error({ err: error, trigger: ref }, 'cannot schedule the timer');
        this.scheduled.set(ref, { stop() {} });
      }
    }
  }

  stop(): void {
    for (const schedule of this.scheduled.values()) schedule.stop();
    this.scheduled.clear();
  }

  private schedule(trigger: TriggerRecord): Scheduled {
    const emit = (): void => {
      // StackStorm sends `schedule: trigger.parameters.get('time')`, a parameter no timer type has.
      const payload = { executed_at: pythonUtcString(new Date()), schedule: null };
      this.fire(trigger, payload).catch((error: unknown) => this.log.warn({ err: error, trigger: trigger.ref }, 'timer dispatch failed'));
    };
    const parameters = trigger.parameters;
    switch (trigger.type) {
      case 'core.st2.IntervalTimer': {
        const every = Math.max(minimumIntervalMs, Number(parameters['delta']) * (unitMs[String(parameters['unit'])] ?? Number.NaN));
        if (!Number.isFinite(every)) throw new Error(`interval ${JSON.stringify(parameters)} is not a number of units`);
        const timer = setInterval(emit, every);
        return { stop: () => clearInterval(timer) };
      }
      case 'core.st2.DateTimer': {
        const timezone = typeof parameters['timezone'] === 'string' && parameters['timezone'] !== '' ? parameters['timezone'] : 'UTC';
        const job = new Cron(String(parameters['date']).replace(' ', 'T'), { timezone }, emit);
        if (job.nextRun() === null) this.log.warn({ trigger: trigger.ref, date: parameters['date'] }, 'the DateTimer date is in the past; it will not fire');
        return { stop: () => job.stop() };
      }
      default: {
        const { pattern, timezone, yearMatches } = cronSchedule(parameters, trigger.ref);
        const job = new Cron(pattern, { timezone, legacyMode: false }, () => {
          if (yearMatches(new Date().getUTCFullYear())) emit();
        });
        return { stop: () => job.stop() };
      }
    }
  }
}

/**
 * `str(datetime)` of a UTC time in Python: `2026-01-10 12:00:00.123000+00:00`; Python leaves the
 * fraction out when the microseconds are 0 (`2026-01-10 12:00:00+00:00`).
 */
export function pythonUtcString(date: Date): string {
  const iso = date.toISOString();
  const fraction = date.getUTCMilliseconds() === 0 ? '' : `.${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00:00`;
}
