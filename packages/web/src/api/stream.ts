import type { Api } from './client.ts';
import { readExecution, readOutputChunk, readStatusChange } from './shapes.ts';
import { isCompleted, type Execution, type ExecutionStatus, type OutputChunk } from './types.ts';

export type StreamEvent =
  | { type: 'execution'; execution: Execution }
  | { type: 'status'; id: string; status: ExecutionStatus; at?: string; changes: Record<string, unknown> }
  | { type: 'output'; chunk: OutputChunk };

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** Event names carrying a whole execution: st2's, and Packrun's per-execution snapshot. */
const executionEvents = ['st2.execution__create', 'st2.execution__update', 'execution'];
const outputEvents = ['st2.execution.output__create', 'execution-output'];
const statusEvents = ['execution-updates'];

export interface StreamHandle {
  close(): void;
}

/**
 * Follows an event stream of the API. Events are read into StreamEvents whatever their name on
 * this server; `shouldStop` is asked after each connection loss (a per-execution stream ends
 * when its execution has), so a finished stream is not reopened by EventSource's retry.
 */
export function openStream(
  api: Api,
  path: string,
  onEvent: (event: StreamEvent) => void,
  options: { onState?: (state: StreamState) => void; shouldStop?: () => boolean; endEvent?: string } = {},
): StreamHandle {
  const source = new EventSource(api.streamUrl(path));
  const state = (value: StreamState): void => options.onState?.(value);
  state('connecting');
  const parse = (message: MessageEvent): unknown => {
    try {
      return JSON.parse(String(message.data));
    } catch {
      return undefined;
    }
  };
  for (const name of executionEvents) {
    source.addEventListener(name, (message) => {
      const data = parse(message as MessageEvent);
      try {
        onEvent({ type: 'execution', execution: readExecution(data) });
      } catch {
        // Not an execution: nothing to show.
      }
    });
  }
  for (const name of outputEvents) {
    source.addEventListener(name, (message) => {
      const chunk = readOutputChunk(parse(message as MessageEvent));
      if (chunk) onEvent({ type: 'output', chunk });
    });
  }
  for (const name of statusEvents) {
    source.addEventListener(name, (message) => {
      const change = readStatusChange(parse(message as MessageEvent));
      if (change) onEvent({ type: 'status', ...change });
    });
  }
  if (options.endEvent !== undefined) {
    // st2stream's output stream says `EOF` when the execution's output is all sent.
    source.addEventListener(options.endEvent, () => {
      source.close();
      state('closed');
    });
  }
  source.onopen = () => state('live');
  source.onerror = () => {
    if (options.shouldStop?.() || source.readyState === EventSource.CLOSED) {
      source.close();
      state('closed');
      return;
    }
    state('reconnecting');
  };
  return {
    close() {
      source.close();
      state('closed');
    },
  };
}

/**
 * Follows one execution: `execution` gets each new state of it, `output` its output from the
 * start, then live, until it has completed. A server in StackStorm's shape (`action` an object)
 * has st2's routes: the states come from the event stream filtered to this execution, the output
 * from st2stream's `/stream/v1/executions/{id}/output`, which ends with `EOF`. A server still in
 * Packrun's earlier shape has one stream per execution (`/api/v1/executions/{id}/stream`) with
 * its state first, its output, and status changes until it completes.
 */
export function followExecution(
  api: Api,
  first: Execution,
  handlers: { execution: (execution: Execution) => void; output: (chunk: OutputChunk) => void },
): StreamHandle {
  const id = first.id;
  let completed = isCompleted(first.status);
  const seen = (execution: Execution): void => {
    if (execution.id !== id) return;
    if (isCompleted(execution.status)) completed = true;
    handlers.execution(execution);
  };
  const refresh = (): void => {
    api.getExecution(id).then(seen, () => undefined);
  };
  const output = (event: StreamEvent): void => {
    if (event.type === 'output' && event.chunk.executionId === id) handlers.output(event.chunk);
  };
  if (typeof first.raw['action'] === 'object') {
    const states = completed
      ? undefined
      : openStream(
          api,
          `/api/v1/stream?events=st2.execution__update&execution_ids=${encodeURIComponent(id)}`,
          (event) => {
            if (event.type !== 'execution') return;
            seen(event.execution);
            if (completed) states?.close();
          },
          // A change between the first read and the stream's start would be missed: read again once live.
          { onState: (state) => state === 'live' && refresh(), shouldStop: () => completed },
        );
    const outputStream = openStream(api, `/stream/v1/executions/${encodeURIComponent(id)}/output`, output, { endEvent: 'EOF', shouldStop: () => completed });
    return {
      close() {
        states?.close();
        outputStream.close();
      },
    };
  }
  return openStream(
    api,
    `/api/v1/executions/${encodeURIComponent(id)}/stream`,
    (event) => {
      if (event.type === 'execution') seen(event.execution);
      output(event);
      if (event.type === 'status' && event.id === id) {
        if (isCompleted(event.status)) completed = true;
        // A status event says little; the execution as stored has its result, times and log.
        refresh();
      }
    },
    { shouldStop: () => completed },
  );
}
