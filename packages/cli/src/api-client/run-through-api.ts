import { isPackrunError, type ActionOutcome, type ExecutionRecord } from '@packrun/core';
import type { ApiClient } from './api-client.ts';
import { waitForExecution } from './wait-for-execution.ts';

/**
 * `packrun run` against a running server: the execution is created under the id the CLI chose
 * (so what it prints is the server's id), followed to its end over SSE, and canceled on the
 * server when the user interrupts the CLI.
 */
export async function runThroughApi(
  client: ApiClient,
  request: { ref: string; parameters: Record<string, unknown>; executionId: string; signal: AbortSignal },
): Promise<ActionOutcome> {
  await client.request<ExecutionRecord>('POST', '/api/v1/executions', { id: request.executionId, action: request.ref, parameters: request.parameters });
  const cancel = (): void => {
    void client.cancelExecution(request.executionId).catch((error: unknown) => {
      if (!isPackrunError(error) || error.code !== 'EXECUTION_NOT_CANCELABLE') throw error;
    });
  };
  request.signal.addEventListener('abort', cancel, { once: true });
  try {
    return outcomeOf(await client.withWholeResult(await waitForExecution(client, request.executionId)));
  } finally {
    request.signal.removeEventListener('abort', cancel);
  }
}

/** Queues the execution and returns at once (`packrun run --async`). */
export async function submitThroughApi(
  client: ApiClient,
  request: { ref: string; parameters: Record<string, unknown>; executionId: string },
): Promise<ExecutionRecord> {
  return (await client.request<ExecutionRecord>('POST', '/api/v1/executions', { id: request.executionId, action: request.ref, parameters: request.parameters })).data;
}

function outcomeOf(record: ExecutionRecord): ActionOutcome {
  const started = record.startedAt ? Date.parse(record.startedAt) : Date.parse(record.createdAt);
  const ended = record.endedAt ? Date.parse(record.endedAt) : started;
  const outcome: ActionOutcome = {
    // An abandoned execution (its runner died) is a failure from the caller's point of view.
    status: record.status === 'succeeded' || record.status === 'timeout' || record.status === 'canceled' || record.status === 'pending' ? record.status : 'failed',
    result: record.result ?? (record.error ? { error: `[${record.error.type}] ${record.error.message}` } : {}),
    durationMs: record.durationMs ?? ended - started,
  };
  if (record.stopReason) outcome.stopReason = record.stopReason;
  if (record.truncated) outcome.truncated = record.truncated;
  return outcome;
}
