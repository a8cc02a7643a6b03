import type { RunnerInput } from './runner.ts';

/** The action's `timeout` runner parameter, else the sandbox profile's (the pack's or action's
 * `sandbox.timeout`, else the configured default), never past the operator's cap. */
export function timeoutSecondsOf(input: RunnerInput): number {
  const own = input.runnerParameters['timeout'];
  const wanted = typeof own === 'number' && own > 0 ? own : input.sandboxLimits.timeoutSeconds;
  return Math.min(wanted, input.config.sandboxTimeoutMaxSeconds);
}
