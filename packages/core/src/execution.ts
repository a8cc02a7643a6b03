import type { OutputRun } from './process/output-runs.ts';

/**
 * Execution statuses and result shapes shared by the runner, the store, the API and the CLI.
 * They follow StackStorm's (pack-format.md, "Execution result and statuses").
 */
export const executionStatuses = [
  'requested',
  // Held back by a concurrency policy until a place frees (StackStorm's `delayed`).
  'delayed',
  'scheduled',
  'running',
  'succeeded',
  'failed',
  'timeout',
  'canceling',
  'canceled',
  'abandoned',
  // Workflows only (StackStorm's): a pause asked for, taken effect, and a resume asked for.
  'pausing',
  'paused',
  'resuming',
  // An inquiry waiting for its response (the inquirer runner); neither running nor ended.
  'pending',
] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

export const completedStatuses: ReadonlySet<ExecutionStatus> = new Set([
  'succeeded',
  'failed',
  'timeout',
  'canceled',
  'abandoned',
]);

export function isCompleted(status: ExecutionStatus): boolean {
  return completedStatuses.has(status);
}

/** Statuses in which something is under way: queued, held back by a policy until a place frees, taken by a runner, or being stopped. */
const underWayStatuses: ReadonlySet<ExecutionStatus> = new Set(['requested', 'delayed', 'scheduled', 'running', 'canceling']);

/**
 * Whether nothing more happens to the execution until someone acts: ended, or waiting for a
 * person (`pending`: an inquiry). A client waiting for an execution stops here, as st2's does.
 */
export function isSettled(status: ExecutionStatus): boolean {
  return !underWayStatuses.has(status);
}

/** Why a job stopped when it did not simply exit: shown beside the status. */
export type StopReason = 'timeout' | 'canceled' | 'out_of_memory' | 'output_limit' | 'pids_limit';

/** What running one action produced, before it is stored. */
export interface ActionOutcome {
  /** `pending`: the runner is done but the execution is not (an inquiry awaits its response). */
  status: Extract<ExecutionStatus, 'succeeded' | 'failed' | 'timeout' | 'canceled' | 'pending'>;
  /** The runner's result document: `{result, stdout, stderr, exit_code, error?}` for python-script and
   * node-script, `{succeeded, failed, return_code, stdout, stderr}` for the shell runners. */
  result: Record<string, unknown>;
  stopReason?: StopReason;
  /** Whether stdout/stderr were cut at the output cap. */
  truncated?: { stdout: boolean; stderr: boolean };
  /** The order stdout and stderr came in (output-runs.ts), when the result's stdout and stderr are the text captured. */
  outputRuns?: OutputRun[];
  durationMs: number;
}

/**
 * Which datastore secrets a caller may see in clear: system-scoped ones (and a pack's config
 * secrets, which the operator keeps alike), and those of the caller's own user scope.
 */
export interface DecryptRights {
  system: boolean;
  user: boolean;
}

/**
 * Where an execution's given parameter values came from, which decides whether the templates in
 * them are rendered (resolveParameters' GivenValues). The execution service sets it from what it
 * knows of the request; a caller never can.
 * - `data`: values a rule rendered over a trigger payload: inserted as they are.
 * - `caller`: values the execution's user typed (API, CLI): rendered once with that user's rights,
 *   decrypting datastore secrets only in the scopes `mayDecrypt` allows.
 */
export type ParameterOrigin = { from: 'data' } | { from: 'caller'; mayDecrypt: DecryptRights };

/** What a request that says nothing about its caller's rights gets: a caller who may decrypt nothing. */
export const leastPrivilegedCaller: ParameterOrigin = { from: 'caller', mayDecrypt: { system: false, user: false } };
