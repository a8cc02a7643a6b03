import { PackrunError } from '@packrun/core';

/**
 * StackStorm's CronTimer takes APScheduler cron fields; croner takes a cron pattern. This turns one
 * into the other with APScheduler's meaning: fields less significant than the smallest one given
 * default to their minimum (`{hour: 5}` is 05:00:00 daily), larger ones to `*`; `day_of_week`
 * counts from Monday = 0; `last` is the last day of the month; `year` is checked at each firing.
 */
interface CronSchedule {
  /** `second minute hour day month day_of_week`, for croner with legacyMode off (day AND weekday). */
  pattern: string;
  timezone: string;
  /** Whether a firing in this year counts. */
  yearMatches: (year: number) => boolean;
}

const significance = ['year', 'month', 'day', 'week', 'day_of_week', 'hour', 'minute', 'second'] as const;
type Field = (typeof significance)[number];
const minimum: Partial<Record<Field, string>> = { month: '1', day: '1', hour: '0', minute: '0', second: '0' };

export function cronSchedule(parameters: Record<string, unknown>, triggerRef: string): CronSchedule {
  const given = (field: Field): string | undefined => {
    const value = parameters[field];
    return value === undefined || value === null ? undefined : String(value).trim();
  };
  const smallest = significance.reduce<number>((last, field, index) => (given(field) !== undefined ? index : last), -1);
  const value = (field: Field): string => {
    const explicit = given(field);
    if (explicit !== undefined) return explicit;
    const index = significance.indexOf(field);
    if (smallest === -1) return field === 'second' ? '0' : '*';
    return index > smallest && minimum[field] !== undefined ? minimum[field]! : '*';
  };
  const week = value('week');
  if (week !== '*') {
    throw new PackrunError('TIMER_PARAMETERS_UNSUPPORTED', `trigger ${triggerRef}: the CronTimer field "week" (ISO week number) is not supported`, {
      hint: 'use day, month and day_of_week instead',
      details: { trigger: triggerRef, field: 'week' },
    });
  }
  const day = value('day').replace(/^last$/i, 'L');
  const pattern = [value('second'), value('minute'), value('hour'), day, value('month'), weekdays(value('day_of_week'))].join(' ');
  const timezone = typeof parameters['timezone'] === 'string' && parameters['timezone'] !== '' ? parameters['timezone'] : 'UTC';
  return { pattern, timezone, yearMatches: yearMatcher(value('year'), triggerRef) };
}

/** APScheduler numbers weekdays from Monday = 0; cron from Sunday = 0 (and 7). */
function weekdays(field: string): string {
  return field.replace(/(^|[,\-])(\d)(?=$|[,\-/])/g, (_match, lead: string, digit: string) => `${lead}${Number(digit) + 1}`);
}

function yearMatcher(field: string, triggerRef: string): (year: number) => boolean {
  if (field === '*') return () => true;
  const parts = field.split(',').map((part) => part.trim());
  const tests = parts.map((part) => {
    const range = /^(\d{4})(?:-(\d{4}))?$/.exec(part);
    if (!range) {
      throw new PackrunError('TIMER_PARAMETERS_UNSUPPORTED', `trigger ${triggerRef}: CronTimer year "${field}" is not a year, a list or a range of years`, {
        details: { trigger: triggerRef, field: 'year' },
      });
    }
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    return (year: number) => year >= from && year <= to;
  });
  return (year) => tests.some((test) => test(year));
}
