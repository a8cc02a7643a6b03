import { isPackrunError, type ActionOutcome, type St2Execution } from '@packrun/core';
import type { ApiClient } from './api-client.ts';
import { waitForExecution } from './wait-for-execution.ts';

/**
 * `packrun run` against a running server: the execution is created under the id the CLI chose
 * (so what it prints is the server's id), followed to its end over SSE (its output handed to
 * `onOutput` as the server streams it), and canceled on the server when the user interrupts the CLI.
 */
export async function runThroughApi(
  client: ApiClient,
  request: { ref: string; parameters: Record<string, unknown>; executionId: string; signal: AbortSignal; onOutput?: (stream: 'stdout' | 'stderr', data: string) => void },
): Promise<ActionOutcome> {
  await client.request<St2Execution>('POST', '/api/v1/executions', { id: request.executionId, action: request.ref, parameters: request.parameters });
  const cancel = (): void => {
    void client.cancelExecution(request.executionId).catch((error: unknown) => {
      if (!isPackrunError(error) || error.code !== 'EXECUTION_NOT_CANCELABLE') throw error;
    });
  };
  request.signal.addEventListener('abort', cancel, { once: true });
  try {
    const onOutput = request.onOutput;
    const followed = await waitForExecution(client, request.executionId, onOutput ? { onOutput: (chunk) => onOutput(chunk.stream, chunk.data) } : {});
    return outcomeOf(await client.withWholeResult(followed));
  } finally {
    request.signal.removeEventListener('abort', cancel);
  }
}

/** Queues the execution and returns at once (`packrun run --async`). */
export async function submitThroughApi(
  client: ApiClient,
  request: { ref: string; parameters: Record<string, unknown>; executionId: string },
): Promise<St2Execution> {
  return (await client.request<St2Execution>('POST', '/api/v1/executions', { id: request.executionId, action: request.ref, parameters: request.parameters })).data;
}

function outcomeOf(execution: St2Execution): ActionOutcome {
  const outcome: ActionOutcome = {
    // An abandoned execution (its runner died) is a failure from the caller's point of view.
    status: execution.status === 'succeeded' || execution.status === 'timeout' || execution.status === 'canceled' || execution.status === 'pending' ? execution.status : 'failed',
    result: execution.result ?? (execution.error ? { error: `[${execution.error.type}] ${execution.error.message}` } : {}),
    durationMs: Math.round((execution.elapsed_seconds ?? 0) * 1000),
  };
  if (execution.stop_reason) outcome.stopReason = execution.stop_reason;
  if (execution.truncated) outcome.truncated = execution.truncated;
  return outcome;
}
