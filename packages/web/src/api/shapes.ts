import type { Action, Execution, ExecutionAction, ExecutionStatus, OutputChunk, ParameterSpec, StatusLogEntry } from './types.ts';

/**
 * Reads the API's records into the st2 shapes of types.ts. The API moves to StackStorm's shapes
 * (snake_case, `action` an object, `start_timestamp`); a server from before that move answers in
 * Packrun's earlier camelCase shape, read here too, so the views see one shape only.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function executionAction(raw: Json): ExecutionAction {
  const action = raw['action'];
  if (isObject(action)) {
    return {
      ref: text(action['ref']) ?? '',
      ...(text(action['pack']) ? { pack: text(action['pack'])! } : {}),
      ...(text(action['name']) ? { name: text(action['name'])! } : {}),
      ...(text(action['runner_type']) ? { runner_type: text(action['runner_type'])! } : {}),
      ...(isObject(action['parameters']) ? { parameters: action['parameters'] as Record<string, ParameterSpec> } : {}),
    };
  }
  const ref = text(action) ?? '';
  const runner = text(raw['runnerType']);
  return { ref, pack: text(raw['pack']) ?? ref.split('.')[0] ?? '', name: ref.split('.').slice(1).join('.'), ...(runner ? { runner_type: runner } : {}) };
}

function statusLog(raw: Json): StatusLogEntry[] {
  const log = Array.isArray(raw['log']) ? raw['log'] : [];
  return log.filter(isObject).map((entry) => ({ status: text(entry['status']) ?? '?', timestamp: text(entry['timestamp']) ?? text(entry['at']) ?? '' }));
}

export function readExecution(raw: unknown): Execution {
  if (!isObject(raw) || typeof raw['id'] !== 'string') throw new Error('the API sent an execution without an id');
  const started = text(raw['start_timestamp']) ?? text(raw['createdAt']);
  const ended = text(raw['end_timestamp']) ?? text(raw['endedAt']);
  const elapsed = typeof raw['elapsed_seconds'] === 'number' ? raw['elapsed_seconds'] : typeof raw['durationMs'] === 'number' ? raw['durationMs'] / 1000 : undefined;
  const context = isObject(raw['context']) ? raw['context'] : {};
  const user = text(context['user']) ?? text(raw['user']);
  const rule = isObject(raw['rule']) ? raw['rule'] : text(raw['rule']) ? { ref: text(raw['rule'])! } : undefined;
  return {
    id: raw['id'],
    action: executionAction(raw),
    status: (text(raw['status']) ?? 'requested') as ExecutionStatus,
    ...(started ? { start_timestamp: started } : {}),
    ...(ended ? { end_timestamp: ended } : {}),
    ...(elapsed !== undefined ? { elapsed_seconds: elapsed } : {}),
    parameters: isObject(raw['parameters']) ? raw['parameters'] : {},
    context: user && !context['user'] ? { ...context, user } : context,
    ...('result' in raw ? { result: raw['result'] } : {}),
    log: statusLog(raw),
    ...(text(raw['parent']) ? { parent: text(raw['parent'])! } : {}),
    ...(Array.isArray(raw['children']) ? { children: raw['children'].filter((child): child is string => typeof child === 'string') } : {}),
    rule,
    raw,
  };
}

export function readAction(raw: unknown): Action {
  if (!isObject(raw) || typeof raw['ref'] !== 'string') throw new Error('the API sent an action without a ref');
  const unavailable = isObject(raw['unavailable']) ? (raw['unavailable'] as Action['unavailable']) : undefined;
  return {
    ref: raw['ref'],
    pack: text(raw['pack']) ?? raw['ref'].split('.')[0] ?? '',
    name: text(raw['name']) ?? raw['ref'],
    ...(text(raw['description']) ? { description: text(raw['description'])! } : {}),
    enabled: raw['enabled'] !== false,
    runner_type: text(raw['runner_type']) ?? text(raw['runnerType']) ?? '',
    ...(text(raw['entry_point']) ?? text(raw['entryPoint']) ? { entry_point: (text(raw['entry_point']) ?? text(raw['entryPoint']))! } : {}),
    parameters: isObject(raw['parameters']) ? (raw['parameters'] as Record<string, ParameterSpec>) : {},
    ...(unavailable ? { unavailable } : {}),
  };
}

/** An output event: st2's `st2.execution.output__create` payload or Packrun's earlier `execution-output`. */
export function readOutputChunk(raw: unknown): OutputChunk | undefined {
  if (!isObject(raw)) return undefined;
  const executionId = text(raw['execution_id']) ?? text(raw['executionId']);
  const stream = text(raw['output_type']) ?? text(raw['stream']);
  const data = text(raw['data']);
  if (executionId === undefined || data === undefined || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  return { executionId, stream, data };
}

/** Packrun's earlier `execution-updates` event: an id and a status, not the whole execution. */
export function readStatusChange(raw: unknown): { id: string; status: ExecutionStatus; at?: string; changes: Json } | undefined {
  if (!isObject(raw) || typeof raw['executionId'] !== 'string' || typeof raw['status'] !== 'string') return undefined;
  return { id: raw['executionId'], status: raw['status'] as ExecutionStatus, ...(text(raw['at']) ? { at: text(raw['at'])! } : {}), changes: isObject(raw['changes']) ? raw['changes'] : {} };
}
