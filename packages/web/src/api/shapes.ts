import type {
  Action,
  ApiKey,
  Enforcement,
  Execution,
  ExecutionAction,
  ExecutionStatus,
  Inquiry,
  KeyValuePair,
  OutputChunk,
  Pack,
  PackEnvironment,
  ParameterSpec,
  Rule,
  SensorType,
  StatusLogEntry,
  TriggerInstance,
  TriggerType,
} from './types.ts';

/**
 * Reads the API's records (StackStorm's shapes: snake_case, `action` an object,
 * `start_timestamp`) into types.ts's, checking what the views rely on.
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
      ...(text(action['entry_point']) ? { entry_point: text(action['entry_point'])! } : {}),
      ...(isObject(action['parameters']) ? { parameters: action['parameters'] as Record<string, ParameterSpec> } : {}),
    };
  }
  // A liveaction-style record names its action by ref only.
  const ref = text(action) ?? '';
  return { ref, pack: ref.split('.')[0] ?? '', name: ref.split('.').slice(1).join('.') };
}

function statusLog(raw: Json): StatusLogEntry[] {
  const log = Array.isArray(raw['log']) ? raw['log'] : [];
  return log.filter(isObject).map((entry) => ({ status: text(entry['status']) ?? '?', timestamp: text(entry['timestamp']) ?? '' }));
}

export function readExecution(raw: unknown): Execution {
  if (!isObject(raw) || typeof raw['id'] !== 'string') throw new Error('the API sent an execution without an id');
  const started = text(raw['start_timestamp']);
  const ended = text(raw['end_timestamp']);
  const elapsed = typeof raw['elapsed_seconds'] === 'number' ? raw['elapsed_seconds'] : undefined;
  const context = isObject(raw['context']) ? raw['context'] : {};
  const rule = isObject(raw['rule']) ? raw['rule'] : undefined;
  return {
    id: raw['id'],
    action: executionAction(raw),
    status: (text(raw['status']) ?? 'requested') as ExecutionStatus,
    ...(started ? { start_timestamp: started } : {}),
    ...(ended ? { end_timestamp: ended } : {}),
    ...(elapsed !== undefined ? { elapsed_seconds: elapsed } : {}),
    parameters: isObject(raw['parameters']) ? raw['parameters'] : {},
    context,
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
    runner_type: text(raw['runner_type']) ?? '',
    ...(text(raw['entry_point']) ? { entry_point: text(raw['entry_point'])! } : {}),
    parameters: isObject(raw['parameters']) ? (raw['parameters'] as Record<string, ParameterSpec>) : {},
    ...(unavailable ? { unavailable } : {}),
  };
}

/** An output event: st2's `st2.execution.output__create` payload. */
export function readOutputChunk(raw: unknown): OutputChunk | undefined {
  if (!isObject(raw)) return undefined;
  const executionId = text(raw['execution_id']);
  const stream = text(raw['output_type']);
  const data = text(raw['data']);
  if (executionId === undefined || data === undefined || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  return { executionId, stream, data };
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

export function readInquiry(raw: unknown): Inquiry {
  if (!isObject(raw) || typeof raw['id'] !== 'string') throw new Error('the API sent an inquiry without an id');
  return {
    id: raw['id'],
    route: text(raw['route']) ?? '',
    ttl: typeof raw['ttl'] === 'number' ? raw['ttl'] : 0,
    users: strings(raw['users']),
    roles: strings(raw['roles']),
    schema: isObject(raw['schema']) ? (raw['schema'] as Inquiry['schema']) : {},
    ...(text(raw['parent']) ? { parent: text(raw['parent'])! } : {}),
  };
}

export function readPack(raw: unknown): Pack {
  if (!isObject(raw) || typeof raw['ref'] !== 'string') throw new Error('the API sent a pack without a ref');
  const pythons = raw['python_versions'];
  return {
    ref: raw['ref'],
    name: text(raw['name']) ?? raw['ref'],
    version: text(raw['version']) ?? '',
    ...(text(raw['description']) ? { description: text(raw['description'])! } : {}),
    ...(text(raw['source']) ? { source: text(raw['source'])! } : {}),
    ...(Array.isArray(pythons) ? { python_versions: pythons.map(String) } : {}),
    ...(text(raw['path']) ? { path: text(raw['path'])! } : {}),
    ...(readPackEnvironment(raw['environment']) ?? {}),
    raw,
  };
}

const envKinds: readonly string[] = ['python', 'node', 'none'] satisfies PackEnvironment['kind'][];
const envStates: readonly string[] = ['ready', 'missing', 'none'] satisfies PackEnvironment['state'][];
const buildStates: readonly string[] = ['building', 'failed'] satisfies NonNullable<PackEnvironment['build']>['state'][];

/** Packrun's `environment` of a pack; nothing when it is absent or says what this page does not know. */
function readPackEnvironment(raw: unknown): { environment: PackEnvironment } | undefined {
  if (!isObject(raw) || !envKinds.includes(String(raw['kind'])) || !envStates.includes(String(raw['state']))) return undefined;
  const python = isObject(raw['python']) ? text(raw['python']['name']) : undefined;
  const build = raw['build'];
  const error = isObject(build) && isObject(build['error']) && text(build['error']['code']) && text(build['error']['message'])
    ? { code: text(build['error']['code'])!, message: text(build['error']['message'])! }
    : undefined;
  return {
    environment: {
      kind: raw['kind'] as PackEnvironment['kind'],
      state: raw['state'] as PackEnvironment['state'],
      ...(python ? { python } : {}),
      ...(text(raw['built_at']) ? { builtAt: text(raw['built_at'])! } : {}),
      ...(isObject(build) && buildStates.includes(String(build['state'])) && text(build['execution_id'])
        ? { build: { state: build['state'] as 'building' | 'failed', executionId: text(build['execution_id'])!, ...(error ? { error } : {}) } }
        : {}),
    },
  };
}

/**
 * An inquiry's response schema as the run form's parameters: each property a field, required
 * when the schema's `required` list names it (draft 4) or the property says `required: true`
 * (st2's core.ask default schema does).
 */
export function inquiryFields(inquiry: Inquiry): Record<string, ParameterSpec> {
  return schemaFields(inquiry.schema);
}

/** The fields of an object's JSON Schema (an inquiry's response, a trigger type's payload) as form parameters. */
export function schemaFields(schema: Record<string, unknown>): Record<string, ParameterSpec> {
  const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as unknown[]) : []);
  const fields: Record<string, ParameterSpec> = {};
  for (const [name, spec] of Object.entries(isObject(schema['properties']) ? schema['properties'] : {})) {
    if (!isObject(spec)) continue;
    fields[name] = { ...(spec as ParameterSpec), required: required.has(name) || spec['required'] === true };
  }
  return fields;
}

export function readRule(raw: unknown): Rule {
  if (!isObject(raw) || typeof raw['ref'] !== 'string') throw new Error('the API sent a rule without a ref');
  return {
    ref: raw['ref'],
    name: text(raw['name']) ?? raw['ref'],
    pack: text(raw['pack']) ?? raw['ref'].split('.')[0] ?? '',
    ...(text(raw['description']) ? { description: text(raw['description'])! } : {}),
    enabled: raw['enabled'] !== false,
    trigger: isObject(raw['trigger']) ? (raw['trigger'] as Rule['trigger']) : {},
    criteria: isObject(raw['criteria']) ? raw['criteria'] : {},
    action: isObject(raw['action']) ? (raw['action'] as Rule['action']) : {},
    raw,
  };
}

export function readEnforcement(raw: unknown): Enforcement {
  if (!isObject(raw) || typeof raw['id'] !== 'string') throw new Error('the API sent a rule enforcement without an id');
  const rule = isObject(raw['rule']) ? raw['rule'] : {};
  return {
    id: raw['id'],
    rule_ref: text(rule['ref']) ?? '',
    trigger_instance_id: text(raw['trigger_instance_id']) ?? '',
    ...(text(raw['execution_id']) ? { execution_id: text(raw['execution_id'])! } : {}),
    ...(text(raw['failure_reason']) ? { failure_reason: text(raw['failure_reason'])! } : {}),
    enforced_at: text(raw['enforced_at']) ?? '',
    status: text(raw['status']) ?? '',
  };
}

export function readKeyValuePair(raw: unknown): KeyValuePair {
  if (!isObject(raw) || typeof raw['name'] !== 'string') throw new Error('the API sent a datastore key without a name');
  return {
    name: raw['name'],
    value: text(raw['value']) ?? '',
    secret: raw['secret'] === true,
    encrypted: raw['encrypted'] === true,
    scope: raw['scope'] === 'st2kv.user' ? 'st2kv.user' : 'st2kv.system',
    ...(text(raw['user']) ? { user: text(raw['user'])! } : {}),
    ...(text(raw['expire_timestamp']) ? { expire_timestamp: text(raw['expire_timestamp'])! } : {}),
  };
}

export function readSensorType(raw: unknown): SensorType {
  if (!isObject(raw) || typeof raw['ref'] !== 'string') throw new Error('the API sent a sensor without a ref');
  const count = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  return {
    ref: raw['ref'],
    pack: text(raw['pack']) ?? raw['ref'].split('.')[0] ?? '',
    name: text(raw['name']) ?? raw['ref'],
    ...(text(raw['description']) ? { description: text(raw['description'])! } : {}),
    enabled: raw['enabled'] !== false,
    trigger_types: strings(raw['trigger_types']),
    status: text(raw['status']) ?? 'unknown',
    ...(text(raw['started_at']) ? { started_at: text(raw['started_at'])! } : {}),
    ...(count(raw['starts']) === undefined ? {} : { starts: count(raw['starts'])! }),
    ...(count(raw['consecutive_failures']) === undefined ? {} : { consecutive_failures: count(raw['consecutive_failures'])! }),
    ...(text(raw['next_start_at']) ? { next_start_at: text(raw['next_start_at'])! } : {}),
    ...(text(raw['last_error']) ? { last_error: text(raw['last_error'])! } : {}),
    last_error_stderr: strings(raw['last_error_stderr']),
    stderr_tail: strings(raw['stderr_tail']),
  };
}

export function readTriggerType(raw: unknown): TriggerType {
  if (!isObject(raw) || typeof raw['ref'] !== 'string') throw new Error('the API sent a trigger type without a ref');
  return {
    ref: raw['ref'],
    pack: text(raw['pack']) ?? raw['ref'].split('.')[0] ?? '',
    ...(text(raw['description']) ? { description: text(raw['description'])! } : {}),
    payload_schema: isObject(raw['payload_schema']) ? raw['payload_schema'] : {},
  };
}

export function readTriggerInstance(raw: unknown): TriggerInstance {
  if (!isObject(raw) || typeof raw['id'] !== 'string') throw new Error('the API sent a trigger instance without an id');
  return {
    id: raw['id'],
    trigger: text(raw['trigger']) ?? '',
    occurrence_time: text(raw['occurrence_time']) ?? '',
    payload: isObject(raw['payload']) ? raw['payload'] : {},
    status: text(raw['status']) ?? '',
    ...(text(raw['source']) ? { source: text(raw['source'])! } : {}),
  };
}

export function readApiKey(raw: unknown): ApiKey {
  if (!isObject(raw) || typeof raw['id'] !== 'string') throw new Error('the API sent an API key without an id');
  return {
    id: raw['id'],
    user: text(raw['user']) ?? '',
    role: text(raw['role']) ?? '',
    enabled: raw['enabled'] !== false,
    created_at: text(raw['created_at']) ?? '',
    metadata: isObject(raw['metadata']) ? raw['metadata'] : {},
  };
}
