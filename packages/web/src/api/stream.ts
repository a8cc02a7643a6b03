import type { Api } from './client.ts';
import { readExecution, readOutputChunk, readSensorType, readTriggerInstance } from './shapes.ts';
import { isCompleted, type Execution, type OutputChunk, type SensorType, type TriggerInstance } from './types.ts';

export type StreamEvent =
  | { type: 'execution'; execution: Execution }
  | { type: 'output'; chunk: OutputChunk }
  | { type: 'sensor'; sensor: SensorType }
  | { type: 'trigger-instance'; instance: TriggerInstance };

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** st2's event names carrying a whole execution, and a piece of output. */
const executionEvents = ['st2.execution__create', 'st2.execution__update'];
const outputEvents = ['st2.execution.output__create'];
/** A sensor's new state; a trigger instance stored or processed (Packrun's, named as st2 names its exchanges' events). */
export const sensorEvents = ['st2.sensor__update'];
export const triggerInstanceEvents = ['st2.trigger_instance__create', 'st2.trigger_instance__update'];

export interface StreamHandle {
  close(): void;
}

/**
 * Follows an event stream of the API, its st2 events read into StreamEvents. `shouldStop` is
 * asked after each connection loss (an output stream ends when its execution has), so a finished
 * stream is not reopened by EventSource's retry.
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
  const read = <T,>(reader: (raw: unknown) => T, message: Event): T | undefined => {
    try {
      return reader(parse(message as MessageEvent));
    } catch {
      return undefined;
    }
  };
  for (const name of sensorEvents) {
    source.addEventListener(name, (message) => {
      const sensor = read(readSensorType, message);
      if (sensor) onEvent({ type: 'sensor', sensor });
    });
  }
  for (const name of triggerInstanceEvents) {
    source.addEventListener(name, (message) => {
      const instance = read(readTriggerInstance, message);
      if (instance) onEvent({ type: 'trigger-instance', instance });
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
 * start, then live, until it has completed. The states come from the event stream filtered to
 * this execution, the output from st2stream's `/stream/v1/executions/{id}/output`, which ends
 * with `EOF`.
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
