import type { Api } from './client.ts';
import { readExecution, readOutputChunk, readStatusChange } from './shapes.ts';
import type { Execution, ExecutionStatus, OutputChunk } from './types.ts';

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
  options: { onState?: (state: StreamState) => void; shouldStop?: () => boolean } = {},
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
