import { FrameError } from './framing.ts';
import { MessageType, type ChildMessage, type DatastoreArgs, type DatastoreOp, type WireError } from './messages.ts';

const datastoreOps: ReadonlySet<string> = new Set<DatastoreOp>(['get', 'set', 'delete', 'list']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wireError(value: unknown): WireError {
  if (!isRecord(value) || typeof value['message'] !== 'string') throw new FrameError('error frame without error.message');
  const error: WireError = { type: typeof value['type'] === 'string' ? value['type'] : 'Error', message: value['message'] };
  if (typeof value['traceback'] === 'string') error.traceback = value['traceback'];
  return error;
}

function datastoreArgs(value: unknown): DatastoreArgs {
  if (!isRecord(value)) throw new FrameError('datastore frame without args');
  const scope = value['scope'] ?? 'system';
  if (scope !== 'system' && scope !== 'user') throw new FrameError(`datastore scope must be "system" or "user", got ${JSON.stringify(scope)}`);
  const args: DatastoreArgs = { scope };
  for (const key of ['name', 'value', 'prefix'] as const) {
    const item = value[key];
    if (item === undefined || item === null) continue;
    if (typeof item !== 'string') throw new FrameError(`datastore args.${key} must be a string`);
    args[key] = item;
  }
  const ttl = value['ttl'];
  if (ttl !== undefined && ttl !== null) {
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) throw new FrameError('datastore args.ttl must be a positive number');
    args.ttl = ttl;
  }
  for (const key of ['encrypt', 'decrypt'] as const) {
    if (value[key] !== undefined) args[key] = value[key] === true;
  }
  return args;
}

/**
 * Checks that a decoded frame from a child is one of the messages a child may send. Anything else
 * is a protocol violation: the caller stops the job rather than guessing.
 */
export function parseChildMessage(value: unknown): ChildMessage {
  if (!isRecord(value) || typeof value['type'] !== 'string') throw new FrameError('frame without a "type"');
  switch (value['type']) {
    case MessageType.result: {
      if (!('result' in value)) throw new FrameError('result frame without "result"');
      const success = value['success'] ?? null;
      if (success !== null && typeof success !== 'boolean') throw new FrameError('result frame "success" must be true, false or null');
      return { type: MessageType.result, result: value['result'], success };
    }
    case MessageType.error:
      return { type: MessageType.error, error: wireError(value['error']) };
    case MessageType.datastore: {
      const id = value['id'];
      if (typeof id !== 'string' && typeof id !== 'number') throw new FrameError('datastore frame without an id');
      const op = value['op'];
      if (typeof op !== 'string' || !datastoreOps.has(op)) throw new FrameError(`unknown datastore op ${JSON.stringify(op)}`);
      return { type: MessageType.datastore, id, op: op as DatastoreOp, args: datastoreArgs(value['args']) };
    }
    case MessageType.dispatch: {
      const trigger = value['trigger'];
      if (!(typeof trigger === 'string' && trigger !== '') && !isRecord(trigger)) throw new FrameError('dispatch frame without a trigger');
      const payload = value['payload'] ?? {};
      if (!isRecord(payload)) throw new FrameError('dispatch frame "payload" must be an object');
      const traceTag = value['trace_tag'] ?? null;
      if (traceTag !== null && typeof traceTag !== 'string') throw new FrameError('dispatch frame "trace_tag" must be a string or null');
      return { type: MessageType.dispatch, trigger, payload, trace_tag: traceTag };
    }
    case MessageType.exiting: {
      const code = value['code'];
      if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 255) throw new FrameError('exiting frame "code" must be an integer from 0 to 255');
      return { type: MessageType.exiting, code };
    }
    default:
      throw new FrameError(`unknown frame type ${JSON.stringify(value['type'])}`);
  }
}
