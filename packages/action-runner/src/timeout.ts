import type { RunnerInput } from './runner.ts';

/** The action's `timeout` runner parameter, else the configured default, never past the operator's cap. */
export function timeoutSecondsOf(input: RunnerInput): number {
  const own = input.runnerParameters['timeout'];
  const wanted = typeof own === 'number' && own > 0 ? own : input.config.actionTimeoutSeconds;
  return Math.min(wanted, input.config.sandboxTimeoutMaxSeconds);
}
