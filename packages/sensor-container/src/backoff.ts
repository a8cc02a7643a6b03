/**
 * Restart delays for crashed sensors: exponential from `initialMs`, capped at `maxMs`, never
 * giving up (StackStorm gives up after two respawns; st2 issue 5033). A run that lasted `stableMs`
 * counts as healthy and starts the sequence over.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  stableMs: number;
  /** Consecutive crashes from which the sensor is reported as failing (it is still retried). */
  failingAfter: number;
}

export function restartDelay(policy: BackoffPolicy, consecutiveFailures: number): number {
  const exponent = Math.max(0, consecutiveFailures - 1);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(exponent, 30));
}
