import { TemplateError, type WorkMeter } from '@packrun/jinja';
import { underWatchdog } from '../limits/watchdog.ts';

/**
 * Regular expressions in templates come from packs, API callers and rules, and no check of the
 * pattern rules out catastrophic backtracking (ReDoS): each match runs under the watchdog, with
 * the render's remaining time (Limits.maxMilliseconds) as its timeout.
 */
export function boundedRegex<T>(operation: () => T, pattern: string, meter: WorkMeter): T {
  const remaining = Math.floor(meter.remainingMilliseconds());
  if (remaining <= 0) throw meter.timeLimitError();
  const outcome = underWatchdog(operation, remaining);
  if ('value' in outcome) return outcome.value;
  throw new TemplateError(
    'limit',
    `the regular expression ${JSON.stringify(pattern)} ran past the template time limit maxMilliseconds (${meter.limits.maxMilliseconds}); a pattern with nested repetition such as (a+)+ can take exponential time`,
    { limit: 'maxMilliseconds' },
  );
}
