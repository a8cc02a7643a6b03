import { isCompleted, isSettled, type ExecutionRecord, type OutputChunkEvent } from '@packrun/core';
import type { ApiClient } from './api-client.ts';

/**
 * Follows an execution until it completes: the per-execution SSE stream when it works, polling
 * when the stream drops (a proxy, an API restart). Output chunks go to `onOutput` as they arrive.
 * The stream sends all of an execution's output before its completion; when it dropped, the
 * output it did not deliver is fetched once the execution has completed, so none is lost either way.
 */
export async function waitForExecution(
  client: ApiClient,
  id: string,
  options: { onOutput?: (chunk: OutputChunkEvent) => void; signal?: AbortSignal } = {},
): Promise<ExecutionRecord> {
  const printed = { stdout: 0, stderr: 0 };
  const deliver = (chunk: OutputChunkEvent): void => {
    printed[chunk.stream] += chunk.data.length;
    options.onOutput?.(chunk);
  };
  let ended: ExecutionRecord | undefined;
  try {
    await client.stream(`/api/v1/executions/${encodeURIComponent(id)}/stream`, ({ event, data }) => {
      if (event === 'execution-output') deliver(data as OutputChunkEvent);
      // The server ends the stream after the completion, and sends the output of an execution
      // that completed before the stream attached after its snapshot: a completed snapshot is
      // not the end.
      if (event === 'execution-updates') return !isSettled((data as { status: ExecutionRecord['status'] }).status);
      // Waiting for a person (an inquiry) when the stream attached: no update comes until someone
      // answers, and the server keeps the stream open for it.
      if (event === 'execution') {
        const { status } = data as { status: ExecutionRecord['status'] };
        return isCompleted(status) || !isSettled(status);
      }
      return true;
    }, options.signal);
    ended = await client.getExecution(id);
  } catch (error) {
    if (options.signal?.aborted) throw error;
  }
  if (ended !== undefined && isSettled(ended.status)) return ended;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const record = await client.getExecution(id);
    if (isSettled(record.status)) {
      if (options.onOutput) await deliverMissed(client, id, printed, deliver);
      return record;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The stored output past what was already delivered, when the stream did not last to the end. */
async function deliverMissed(client: ApiClient, id: string, printed: Record<OutputChunkEvent['stream'], number>, deliver: (chunk: OutputChunkEvent) => void): Promise<void> {
  const output = await client.getOutput(id);
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = output[stream].slice(printed[stream]);
    if (rest !== '') deliver({ executionId: id, stream, seq: -1, data: rest });
  }
}
