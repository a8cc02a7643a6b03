import { isCompleted, type ExecutionRecord, type OutputChunkEvent } from '@packrun/core';
import type { ApiClient } from './api-client.ts';

/**
 * Follows an execution until it completes: the per-execution SSE stream when it works, polling
 * when the stream drops (a proxy, an API restart). Output chunks go to `onOutput` as they arrive.
 */
export async function waitForExecution(
  client: ApiClient,
  id: string,
  options: { onOutput?: (chunk: OutputChunkEvent) => void; signal?: AbortSignal } = {},
): Promise<ExecutionRecord> {
  try {
    await client.stream(`/api/v1/executions/${encodeURIComponent(id)}/stream`, ({ event, data }) => {
      if (event === 'execution-output') options.onOutput?.(data as OutputChunkEvent);
      if (event === 'execution') return !isCompleted((data as ExecutionRecord).status);
      if (event === 'execution-updates') return !isCompleted((data as { status: ExecutionRecord['status'] }).status);
      return true;
    }, options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw error;
  }
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const record = await client.getExecution(id);
    if (isCompleted(record.status)) return record;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
