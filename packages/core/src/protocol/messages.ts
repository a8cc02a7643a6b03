/**
 * The wrapper wire protocol: messages on the control channel (fd 3 of the child, a bidirectional
 * UNIX socket), each a frame of a 4-byte big-endian length then UTF-8 JSON tagged by `type`.
 * The Python wrapper (packages/core/python) and the Node wrapper (packages/core/node) mirror these
 * names as constants; change them together.
 */
export const MessageType = {
  job: 'job',
  datastoreReply: 'datastore_reply',
  result: 'result',
  error: 'error',
  datastore: 'datastore',
  dispatch: 'dispatch',
  exiting: 'exiting',
  triggerAdded: 'trigger_added',
  triggerUpdated: 'trigger_updated',
  triggerRemoved: 'trigger_removed',
  stop: 'stop',
} as const;

/** Frames larger than this are refused in both directions, so a child cannot exhaust our memory. */
export const maxFrameBytes = 64 * 1024 * 1024;

export interface ActionJob {
  kind: 'action';
  execution_id: string;
  pack: string;
  action: string;
  /** Absolute path of the action's entry point. */
  entry_point: string;
  pack_dir: string;
  parameters: Record<string, unknown>;
  config: Record<string, unknown>;
  log_level: string;
  /** What the wrapper may send as the result, so that it reports a result over them as an error of its own. */
  result_limits?: WireLimits;
}

/**
 * Bounds a wrapper holds what it sends to (a result, a dispatch's payload) before sending it:
 * the runtime refuses more anyway, as a broken protocol; this way the action or sensor is told why.
 */
export interface WireLimits {
  /** Bytes of the value's JSON. */
  max_bytes: number;
  /** Levels of objects and arrays in the value, the value itself being level 1. */
  max_depth: number;
}

/** The job of a sensor process: it runs until told to stop, dispatching trigger instances. */
export interface SensorJob {
  kind: 'sensor';
  pack: string;
  /** Sensor ref `<pack>.<class_name>`. */
  sensor: string;
  class_name: string;
  /** Absolute path of the sensor's entry point. */
  entry_point: string;
  pack_dir: string;
  config: Record<string, unknown>;
  /** Seconds between polls for a PollingSensor; null when the metadata sets none. */
  poll_interval: number | null;
  /** The triggers of its trigger types that exist when it starts (add_trigger is called for each). */
  triggers: SensorTrigger[];
  log_level?: string;
  /** What a dispatch's payload may be; dispatch() raises for one over them. */
  payload_limits?: WireLimits;
  /**
   * Distributed deployment: the pack's own RabbitMQ identity, allowed only to publish to the
   * dispatch exchange with routing keys `<pack>.`; dispatches go there instead of this channel.
   */
  broker?: SensorBroker;
}

export interface SensorBroker {
  url: string;
  exchange: string;
  /** Dispatches kept while the broker is unreachable; past it the newest are dropped and counted. */
  buffer_limit: number;
}

/** A trigger as a sensor's add_trigger/update_trigger/remove_trigger receives it. */
export interface SensorTrigger {
  id: string;
  ref: string;
  uid: string;
  name: string;
  pack: string;
  type: string;
  parameters: Record<string, unknown>;
}

export type DatastoreScope = 'system' | 'user';
export type DatastoreOp = 'get' | 'set' | 'delete' | 'list';

export interface DatastoreArgs {
  /** Full key name; a local key already carries its `<pack>.<Class>:` prefix. */
  name?: string;
  value?: string;
  scope: DatastoreScope;
  ttl?: number | null;
  encrypt?: boolean;
  decrypt?: boolean;
  prefix?: string | null;
}

export interface WireError {
  type: string;
  message: string;
  traceback?: string;
}

export interface JobMessage {
  type: typeof MessageType.job;
  job: ActionJob | SensorJob;
}

export interface TriggerChangeMessage {
  type: typeof MessageType.triggerAdded | typeof MessageType.triggerUpdated | typeof MessageType.triggerRemoved;
  trigger: SensorTrigger;
}

/** Asks a sensor to stop: the wrapper calls cleanup() and exits; the runtime kills it after the grace. */
export interface StopMessage {
  type: typeof MessageType.stop;
}

/** A sensor's `sensor_service.dispatch(trigger, payload, trace_tag)`. */
export interface DispatchMessage {
  type: typeof MessageType.dispatch;
  /** A trigger (type) ref, or a trigger dict as add_trigger received it. */
  trigger: string | Record<string, unknown>;
  payload: Record<string, unknown>;
  trace_tag: string | null;
}

export type DatastoreReplyMessage =
  | { type: typeof MessageType.datastoreReply; id: string | number; ok: true; value: unknown }
  | { type: typeof MessageType.datastoreReply; id: string | number; ok: false; error: WireError };

export interface ResultMessage {
  type: typeof MessageType.result;
  result: unknown;
  /** An explicit success flag from the action (`(bool, result)` in Python); null when it gave none. */
  success: boolean | null;
}

export interface ErrorMessage {
  type: typeof MessageType.error;
  error: WireError;
}

export interface DatastoreRequestMessage {
  type: typeof MessageType.datastore;
  id: string | number;
  op: DatastoreOp;
  args: DatastoreArgs;
}

/**
 * A zygote child's last frame: it flushed what it printed, shut its output streams and exits with
 * `code` next, so the runtime need not wait for the kernel to tear the process down.
 */
export interface ExitingMessage {
  type: typeof MessageType.exiting;
  /** 0-255, as the process exit status will be. */
  code: number;
}

export type ParentMessage = JobMessage | DatastoreReplyMessage | TriggerChangeMessage | StopMessage;
export type ChildMessage = ResultMessage | ErrorMessage | DatastoreRequestMessage | DispatchMessage | ExitingMessage;
