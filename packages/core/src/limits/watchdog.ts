import vm from 'node:vm';

/**
 * Runs a synchronous operation that cannot check the time itself (a regular expression match:
 * JavaScript's engine backtracks, and `^(a+)+$` against forty characters runs for minutes) under
 * V8's watchdog, which interrupts it after `timeoutMs`. A constant one-line vm script calls the
 * operation; nothing given by a pack, a caller or a payload is ever compiled as code here. Each
 * call costs about 0.2 ms. Returns `{timedOut: true}` instead of a value when interrupted.
 */
const watchdogContext = vm.createContext({ operation: undefined as (() => unknown) | undefined });
const watchdogScript = new vm.Script('operation()', { filename: 'packrun-watchdog' });

export function underWatchdog<T>(operation: () => T, timeoutMs: number): { value: T } | { timedOut: true } {
  watchdogContext['operation'] = operation;
  try {
    return { value: watchdogScript.runInContext(watchdogContext, { timeout: Math.max(1, Math.min(Math.floor(timeoutMs), 2 ** 31 - 1)) }) as T };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { timedOut: true };
    throw error;
  } finally {
    watchdogContext['operation'] = undefined;
  }
}
