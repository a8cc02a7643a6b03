import { PackrunError, type ExecutionRecord } from '@packrun/core';
import type { ApiCaller } from './caller.ts';

/**
 * A runner key's runner ids all start with `<key id>.`: the API reads the key, not the id the
 * caller writes in the path, to know whose runner it is. So one runner key cannot claim under,
 * complete, release or beat for another key's runner. (`GET /whoami` tells a runner its prefix.)
 */
export function runnerIdPrefix(keyId: string): string {
  return `${keyId}.`;
}

function isRunnerKey(caller: ApiCaller): caller is ApiCaller & { keyId: string } {
  return caller.role === 'runner' && caller.keyId !== undefined;
}

/** Admin keys may report as any runner (they could cancel or re-run anything anyway). */
export function assertRunnerIdBound(caller: ApiCaller, runnerId: string): void {
  if (!isRunnerKey(caller) || runnerId.startsWith(runnerIdPrefix(caller.keyId))) return;
  throw new PackrunError('API_RUNNER_FORBIDDEN', `runner "${runnerId}" does not belong to this API key`, {
    hint: `a runner key reports only for runner ids starting with "${runnerIdPrefix(caller.keyId)}" (GET /api/v1/whoami gives the prefix)`,
    details: { runner: runnerId },
  });
}

/** Whether a runner key's runner took this execution (held now, or once). */
function ranUnderCaller(caller: ApiCaller, execution: Pick<ExecutionRecord, 'runnerId'>): boolean {
  return isRunnerKey(caller) && execution.runnerId !== undefined && execution.runnerId.startsWith(runnerIdPrefix(caller.keyId));
}

/** A runner key sees only the executions its runners took; other roles pass. */
export function assertMaySeeExecution(caller: ApiCaller, execution: ExecutionRecord): void {
  if (caller.role !== 'runner' || ranUnderCaller(caller, execution)) return;
  throw runnerNotHolding(execution.id);
}

/** A runner key reaches the datastore only for an execution one of its runners is running now. */
export function assertHoldsExecution(caller: ApiCaller, execution: ExecutionRecord | undefined, executionId: string): ExecutionRecord {
  if (execution && ranUnderCaller(caller, execution) && (execution.status === 'running' || execution.status === 'canceling')) return execution;
  throw runnerNotHolding(executionId);
}

function runnerNotHolding(executionId: string): PackrunError {
  return new PackrunError('API_RUNNER_FORBIDDEN', `execution "${executionId}" is not held by a runner of this API key`, {
    hint: 'a runner key reaches only the executions its own runners took',
    details: { execution: executionId },
  });
}
