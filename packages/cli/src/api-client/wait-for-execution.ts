import { isSettled, type OutputChunkEvent, type St2Execution } from '@packrun/core';
import type { ApiClient } from './api-client.ts';

/** st2's output event (`st2.execution.output__create`), the fields read here. */
interface St2OutputEvent {
  execution_id: string;
  output_type: 'stdout' | 'stderr';
  data: string;
}

/**
 * Follows an execution until it settles: its output from st2's output stream
 * (`/stream/v1/executions/{id}/output`, which sends all of it before `EOF`), then its state;
 * polling when the stream drops (a proxy, an API restart) or when it ended at a pause. Output
 * goes to `onOutput` as it arrives; when the stream did not last to `EOF`, the output it did not
 * deliver is fetched once the execution has settled, so none is lost either way.
 */
export async function waitForExecution(
  client: ApiClient,
  id: string,
  options: { onOutput?: (chunk: OutputChunkEvent) => void; signal?: AbortSignal } = {},
): Promise<St2Execution> {
  const printed = { stdout: 0, stderr: 0 };
  const deliver = (chunk: OutputChunkEvent): void => {
    printed[chunk.stream] += chunk.data.length;
    options.onOutput?.(chunk);
  };
  let whole = false;
  try {
    await client.stream(`/stream/v1/executions/${encodeURIComponent(id)}/output`, ({ event, data }) => {
      if (event === 'st2.execution.output__create') {
        const output = data as St2OutputEvent;
        deliver({ executionId: output.execution_id, stream: output.output_type, seq: -1, data: output.data });
      }
      if (event === 'EOF') {
        whole = true;
        return false;
      }
      return true;
    }, options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw error;
  }
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const execution = await client.getExecution(id);
    if (isSettled(execution.status)) {
      if (!whole && options.onOutput) await deliverMissed(client, id, printed, deliver);
      return execution;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The stored output past what was already delivered, when the stream did not last to the end. */
async function deliverMissed(client: ApiClient, id: string, printed: Record<OutputChunkEvent['stream'], number>, deliver: (chunk: OutputChunkEvent) => void): Promise<void> {
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = (await client.getOutput(id, stream)).slice(printed[stream]);
    if (rest !== '') deliver({ executionId: id, stream, seq: -1, data: rest });
  }
}
