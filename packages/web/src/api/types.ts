/**
 * The API's resources as the web UI reads them: StackStorm 3.9's shapes (snake_case, st2's field
 * names; docs/stackstorm-compatibility.md). Only the fields the views use are typed; the rest is
 * kept as it came (the raw JSON view shows it all).
 */

export type ExecutionStatus =
  | 'requested'
  | 'scheduled'
  | 'delayed'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timeout'
  | 'abandoned'
  | 'canceling'
  | 'canceled'
  | 'pending'
  | 'pausing'
  | 'paused'
  | 'resuming';

export const executionStatuses: readonly ExecutionStatus[] = [
  'requested', 'scheduled', 'delayed', 'running', 'succeeded', 'failed', 'timeout', 'abandoned', 'canceling', 'canceled', 'pending', 'pausing', 'paused', 'resuming',
];

const completedStatuses: ReadonlySet<string> = new Set(['succeeded', 'failed', 'timeout', 'abandoned', 'canceled']);

export function isCompleted(status: string): boolean {
  return completedStatuses.has(status);
}

/**
 * The newer of two states of one execution: the one with the longer status history. A stream
 * update may arrive before the answer to a read or to a control request (cancel, pause, resume)
 * made earlier, and an older state must never replace it.
 */
export function newerExecution(current: Execution | undefined, next: Execution): Execution {
  return current !== undefined && current.log.length > next.log.length ? current : next;
}

/** A parameter's metadata: JSON Schema (draft 4) plus st2's required, default, secret, immutable, position. */
export interface ParameterSpec {
  type?: string | string[];
  description?: string;
  default?: unknown;
  required?: boolean;
  enum?: unknown[];
  secret?: boolean;
  immutable?: boolean;
  position?: number;
  minimum?: number;
  maximum?: number;
  items?: unknown;
}

export interface Action {
  ref: string;
  pack: string;
  name: string;
  description?: string;
  enabled: boolean;
  runner_type: string;
  entry_point?: string;
  parameters: Record<string, ParameterSpec>;
  /** Packrun's: why it cannot run (its runner is missing). */
  unavailable?: { code?: string; message?: string; runner?: string };
}

export interface ExecutionAction {
  ref: string;
  pack?: string;
  name?: string;
  runner_type?: string;
  /** The action's file in its pack; none for Packrun's own operations (packs.install, packs.uninstall). */
  entry_point?: string;
  parameters?: Record<string, ParameterSpec>;
}

export interface StatusLogEntry {
  status: string;
  timestamp: string;
}

export interface Execution {
  id: string;
  action: ExecutionAction;
  status: ExecutionStatus;
  /** When it was requested (st2's start_timestamp). */
  start_timestamp?: string;
  end_timestamp?: string;
  elapsed_seconds?: number;
  parameters: Record<string, unknown>;
  context: Record<string, unknown>;
  result?: unknown;
  log: StatusLogEntry[];
  parent?: string;
  children?: string[];
  rule?: { ref?: string; name?: string } | undefined;
  /** The record as the API sent it, for the raw JSON view. */
  raw: Record<string, unknown>;
}

export interface User {
  username: string;
  authentication: { method: string; location: string; token_expire?: string };
  rbac: { enabled: boolean; roles: string[]; is_admin: boolean };
}

export interface Readiness {
  status: string;
  store: string;
  bus: string;
}

/** One piece of live output. */
export interface OutputChunk {
  executionId: string;
  stream: 'stdout' | 'stderr';
  data: string;
}

/** A pending inquiry (st2's InquiryResponseAPI): who may respond, and the JSON Schema a response must match. */
export interface Inquiry {
  id: string;
  route: string;
  /** Minutes it waits for a response; 0: no limit. */
  ttl: number;
  users: string[];
  roles: string[];
  schema: { type?: string; properties?: Record<string, ParameterSpec>; required?: string[] | boolean; [field: string]: unknown };
  /** The execution of the workflow that asked, if any. */
  parent?: string;
}

/** An installed pack (st2's PackAPI), with Packrun's `source` and `environment`. */
export interface Pack {
  ref: string;
  name: string;
  version: string;
  description?: string;
  source?: string;
  /** What pack.yaml declares it supports; `environment.python` is what its env was built with. */
  python_versions?: string[];
  path?: string;
  /** Absent from a server that does not report it. */
  environment?: PackEnvironment;
  raw: Record<string, unknown>;
}

/** The env the pack's active version runs with, as the server's installs built it. */
export interface PackEnvironment {
  kind: 'python' | 'node' | 'none';
  /** `missing`: the install record names an env that is not ready on the server's disk. */
  state: 'ready' | 'missing' | 'none';
  /** The interpreter a Python env was built from, as it named itself: "CPython 3.11.7". */
  python?: string;
  builtAt?: string;
  /** A later install's env build: under way, or failed (the active version stayed). */
  build?: { state: 'building' | 'failed'; executionId: string; error?: { code: string; message: string } };
}

/** A rule (st2's RuleAPI): when its trigger fires and its criteria match, it runs its action. */
export interface Rule {
  ref: string;
  name: string;
  pack: string;
  description?: string;
  enabled: boolean;
  trigger: { type?: string; parameters?: Record<string, unknown> };
  criteria: Record<string, unknown>;
  action: { ref?: string; parameters?: Record<string, unknown> };
  raw: Record<string, unknown>;
}

/** One time a rule's trigger fired and its criteria matched (st2's RuleEnforcementAPI). */
export interface Enforcement {
  id: string;
  rule_ref: string;
  trigger_instance_id: string;
  execution_id?: string;
  failure_reason?: string;
  enforced_at: string;
  status: string;
}

/** Job limits as GET /api/v1/sandbox gives them. */
export interface SandboxLimits {
  memory_mb: number;
  pids: number;
  cpu: number;
  network: boolean;
  timeout_seconds: number;
}

/** The sandbox layers the server's host provides (GET /api/v1/sandbox, what `packrun doctor` reports). */
export interface SandboxReport {
  layers: { name: string; active: boolean; mode: string; reason: string }[];
  missing_required: string[];
  limits: { defaults: SandboxLimits; caps: SandboxLimits };
  warm_spawn: { active: boolean; reason: string };
}

/** The datastore's scopes as st2 names them. */
export type KeyScope = 'st2kv.system' | 'st2kv.user';

/** A datastore key (st2's KeyValuePairAPI); a secret not decrypted has `value` `********`. */
export interface KeyValuePair {
  name: string;
  value: string;
  secret: boolean;
  /** The value shown is not the clear text (a secret not decrypted). */
  encrypted: boolean;
  scope: KeyScope;
  user?: string;
  expire_timestamp?: string;
}

/** What a key is set to (st2 key set): secret stores it encrypted, ttl in seconds. */
export interface KeySetting {
  name: string;
  value: string;
  scope: KeyScope;
  secret: boolean;
  ttl?: number;
}

/** A sensor (st2's SensorTypeAPI) with Packrun's process state beside it. */
export interface SensorType {
  ref: string;
  pack: string;
  name: string;
  description?: string;
  enabled: boolean;
  trigger_types: string[];
  /** running, backoff, failed, stopped…; unknown when no container reported it. */
  status: string;
  started_at?: string;
  starts?: number;
  consecutive_failures?: number;
  next_start_at?: string;
  last_error?: string;
  last_error_stderr: string[];
  stderr_tail: string[];
}

/** A trigger type (st2's TriggerTypeAPI): what a rule can listen for, and its payload's schema. */
export interface TriggerType {
  ref: string;
  pack: string;
  description?: string;
  payload_schema: Record<string, unknown>;
}

/** One time a trigger fired (st2's TriggerInstanceAPI). */
export interface TriggerInstance {
  id: string;
  trigger: string;
  occurrence_time: string;
  payload: Record<string, unknown>;
  status: string;
  source?: string;
}

/** An API key (st2's ApiKeyAPI) with Packrun's role; the key itself is shown only when created. */
export interface ApiKey {
  id: string;
  user: string;
  role: string;
  enabled: boolean;
  created_at: string;
  metadata: Record<string, unknown>;
}
