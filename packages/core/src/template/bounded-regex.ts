import vm from 'node:vm';
import { TemplateError, type WorkMeter } from '@packrun/jinja';

/**
 * Regular expressions in templates come from packs, API callers and rules, and JavaScript's regex
 * engine backtracks: `^(a+)+$` against forty characters runs for minutes (ReDoS). No check of the
 * pattern rules that out, so each match runs under V8's watchdog: a constant one-line vm script
 * calls the match, with the render's remaining time (Limits.maxMilliseconds) as its timeout, and
 * V8 interrupts the match when the time is up. Nothing from a template is ever compiled as code
 * here; the script only calls the function it is handed. Each call costs about 0.2 ms.
 */
const watchdogContext = vm.createContext({ operation: undefined as (() => unknown) | undefined });
const watchdogScript = new vm.Script('operation()', { filename: 'packrun-regex-watchdog' });

export function boundedRegex<T>(operation: () => T, pattern: string, meter: WorkMeter): T {
  const remaining = Math.floor(meter.remainingMilliseconds());
  if (remaining <= 0) throw meter.timeLimitError();
  watchdogContext['operation'] = operation;
  try {
    return watchdogScript.runInContext(watchdogContext, { timeout: Math.min(remaining, 2 ** 31 - 1) }) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new TemplateError(
        'limit',
        `the regular expression ${JSON.stringify(pattern)} ran past the template time limit maxMilliseconds (${meter.limits.maxMilliseconds}); a pattern with nested repetition such as (a+)+ can take exponential time`,
        { limit: 'maxMilliseconds' },
      );
    }
    throw error;
  } finally {
    watchdogContext['operation'] = undefined;
  }
}
