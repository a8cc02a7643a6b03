import type { Readable } from 'node:stream';
import type { ApiKeyRole } from '../api-access.ts';
import type { Failure } from '../errors.ts';
import type { ExecutionStatus, ParameterOrigin, StopReason } from '../execution.ts';
import type { ActionUnavailable } from '../pack/types.ts';
import type { OutputRun } from '../process/output-runs.ts';

/**
 * The Store: one interface over the embedded store (SQLite) and MongoDB. Services talk only to
 * this; the contract suite in test/store/ keeps both backends behaving the same.
 *
 * Times are ISO-8601 UTC strings from `Date.prototype.toISOString()` (always 24 characters), so a
 * string sort is a chronological sort on both backends and records stay plain JSON for the API.
 * Use `nowIso()` to stamp them.
 */

/** A value a filter may compare against. */
export type Scalar = string | number | boolean | null;

/**
 * Condition on one field. A bare value is equality (on an array field it matches when the array
 * contains the value, as both backends do). Operators combine with AND. Comparisons on strings are
 * by code unit, which is chronological for our ISO time strings.
 */
export type FieldCondition<V> =
  | V
  | {
      $in?: readonly V[];
      $nin?: readonly V[];
      $ne?: V;
      $gt?: V;
      $gte?: V;
      $lt?: V;
      $lte?: V;
      $exists?: boolean;
    };

type ScalarOf<V> = V extends readonly (infer E)[] ? E : V;

/**
 * The restricted filter language both backends speak natively: top-level fields, or dotted paths
 * into nested objects (`'context.rule'`), each with a FieldCondition; all keys must hold (AND).
 * No $or, no $regex, no $where: anything the API needs beyond this becomes a stored field.
 */
export type Filter<T> = { [K in keyof T]?: FieldCondition<ScalarOf<NonNullable<T[K]>> | null> } & {
  [path: `${string}.${string}`]: FieldCondition<Scalar>;
};

/** Sort keys in priority order: `{ createdAt: -1, id: -1 }` is newest first with a stable tie-break. */
export type Sort<T> = { [K in keyof T]?: 1 | -1 };

export interface FindOptions<T> {
  sort?: Sort<T>;
  limit?: number;
  skip?: number;
}

type ArrayKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends readonly unknown[] ? K : never }[keyof T];

/**
 * A change to stored records. `set` replaces the named fields, `unset` removes them, `push`
 * appends one element to an array field (e.g. an execution's status `log`). `id` never changes.
 */
export interface Patch<T> {
  set?: Partial<Omit<T, 'id'>>;
  unset?: ReadonlyArray<Exclude<keyof T, 'id'>>;
  push?: { [K in ArrayKeys<T>]?: NonNullable<T[K]> extends readonly (infer E)[] ? E : never };
}

/** One kind of record. Every record has a string `id` (stored as `_id` in both backends). */
export interface Collection<T extends { id: string }> {
  readonly name: string;
  get(id: string): Promise<T | undefined>;
  findOne(filter: Filter<T>, options?: Pick<FindOptions<T>, 'sort'>): Promise<T | undefined>;
  find(filter: Filter<T>, options?: FindOptions<T>): Promise<T[]>;
  count(filter: Filter<T>): Promise<number>;
  /** Adds a new record; STORE_DUPLICATE_ID if the id exists. Returns the record as stored. */
  insert(record: T): Promise<T>;
  /** Creates or fully replaces the record with this id. */
  put(record: T): Promise<T>;
  /**
   * Applies `patch` to every record matching `filter` and returns how many matched. Each record's
   * match-and-change is atomic, so `update({id, status: {$in: ['requested','scheduled']}}, {set:
   * {status: 'running'}})` is a compare-and-set: of two concurrent callers exactly one gets 1.
   */
  update(filter: Filter<T>, patch: Patch<T>): Promise<number>;
  /** Like `update` on the first match only; returns the record after the change, or undefined. */
  updateOne(filter: Filter<T>, patch: Patch<T>): Promise<T | undefined>;
  /** Removes every matching record; returns how many. `remove({})` empties the collection. */
  remove(filter: Filter<T>): Promise<number>;
}

export interface Store {
  readonly kind: 'embedded' | 'mongodb';
  readonly packs: Collection<PackRecord>;
  readonly actions: Collection<ActionRecord>;
  readonly sensors: Collection<SensorRecord>;
  readonly triggerTypes: Collection<TriggerTypeRecord>;
  readonly triggers: Collection<TriggerRecord>;
  readonly rules: Collection<RuleRecord>;
  readonly executions: Collection<ExecutionRecord>;
  readonly triggerInstances: Collection<TriggerInstanceRecord>;
  readonly ruleEnforcements: Collection<RuleEnforcementRecord>;
  readonly keyValues: Collection<KeyValueRecord>;
  readonly apiKeys: Collection<ApiKeyRecord>;
  readonly authTokens: Collection<AuthTokenRecord>;
  readonly runners: Collection<RunnerRecord>;
  readonly policies: Collection<PolicyRecord>;
  readonly policySlots: Collection<PolicySlotRecord>;
  /** The workflow engine's state of each workflow execution (packages/workflow-engine). */
  readonly workflows: Collection<WorkflowRecord>;
  /** The ends of a with-items task's items, one record per item beside its workflow (packages/workflow-engine). */
  readonly workflowItems: Collection<WorkflowItemRecord>;
  /**
   * The parts of execution results too big for their records (ExecutionRecord.resultBlobs):
   * files beside the embedded store's database, GridFS in MongoDB. Written and read through
   * store/execution-data.ts, never directly by services.
   */
  readonly executionBlobs: ExecutionBlobs;
  /**
   * Removes the executions matching `filter` and every blob stored for them; returns how many
   * executions. The one way to delete executions: `executions.remove` alone leaves their blobs.
   */
  removeExecutions(filter: Filter<ExecutionRecord>): Promise<number>;
  /** Resolves when the backend answers; STORE_UNAVAILABLE otherwise. For readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type CollectionName = Exclude<keyof Store, 'kind' | 'ping' | 'close' | 'executionBlobs' | 'removeExecutions'>;

/** Which part of an execution's result document a blob holds. */
export type ExecutionBlobField = 'result' | 'stdout' | 'stderr';

/** Where a blob is, as an execution record keeps it: the backend's key for it and its size in bytes. */
export interface BlobRef {
  $blob: string;
  size: number;
}

export interface ExecutionBlobs {
  /** Stores `data` (UTF-8) as one part of an execution; a new blob each time, never overwriting. */
  put(executionId: string, field: ExecutionBlobField, data: string): Promise<BlobRef>;
  /** The blob's bytes; STORE_BLOB_MISSING when it is gone, STORE_BLOB_DAMAGED when cut short. */
  open(executionId: string, ref: BlobRef): Promise<Readable>;
  /** Removes the given blobs of an execution (ones written for a completion that was not stored). */
  discard(executionId: string, refs: BlobRef[]): Promise<void>;
  /** Removes every blob of these executions. */
  removeAll(executionIds: string[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Records. Shapes owned by other modules (parameter schemas, pack metadata, criteria, results)
// stay loose here (`Record<string, unknown>`); the owning module validates them.

interface Timestamps {
  createdAt: string;
  updatedAt: string;
}

/** A registered pack. `id` is the pack ref. */
export interface PackRecord extends Timestamps {
  id: string;
  ref: string;
  name: string;
  version: string;
  description?: string;
  author?: string;
  email?: string;
  keywords?: string[];
  /** Absolute path of the active pack content. */
  path: string;
  /** Where it was installed from, as the user gave it. */
  source?: string;
  /** The parsed pack.yaml. */
  metadata: Record<string, unknown>;
  /** The active version's env, and the latest install's build of another (absent in records older than it). */
  environment?: PackEnvironmentStatus;
}

/**
 * A pack's environment as the API shows it to any reader: what kind, whether it is ready and with
 * which interpreter. Never a host path (the env folder, the interpreter's executable).
 */
export interface PackEnvironmentStatus {
  kind: 'python' | 'node' | 'none';
  /**
   * `ready`: the env of the active version carries its ready marker; `missing`: the install record
   * names an env whose folder has no marker (removed by hand); `none`: the pack needs none.
   */
  state: 'ready' | 'missing' | 'none';
  /** The interpreter the env was built from, as it reported itself (kind python). */
  python?: { implementation: string; version: string };
  builtAt?: string;
  /**
   * An install of the pack after the active version: its env is being built, or its build failed
   * and the active version stayed. Cleared when an install activates a version.
   */
  build?: PackEnvironmentBuild;
}

export interface PackEnvironmentBuild {
  state: 'building' | 'failed';
  /** The packs.install execution, whose output has the build's progress. */
  execution: string;
  at: string;
  /** The failure's code and message (PACK_ENV_BUILD_FAILED...), never its details (the tool's output). */
  error?: { code: string; message: string };
}

/** A registered action. `id` is the action ref `<pack>.<name>`. */
export interface ActionRecord extends Timestamps {
  id: string;
  ref: string;
  pack: string;
  name: string;
  description?: string;
  enabled: boolean;
  runnerType: string;
  entryPoint?: string;
  /** Parameter specs by name (JSON Schema draft 4 plus st2's required/default/secret/immutable). */
  parameters: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  tags?: string[];
  /** The parsed action metadata file. */
  metadata: Record<string, unknown>;
  /** Why it cannot run (its runner is missing); running it fails with `unavailable.code`. */
  unavailable?: ActionUnavailable;
}

/** A registered sensor. `id` is the sensor ref `<pack>.<class_name>`. */
export interface SensorRecord extends Timestamps {
  id: string;
  ref: string;
  pack: string;
  name: string;
  description?: string;
  enabled: boolean;
  entryPoint: string;
  pollInterval?: number;
  /** Refs of the trigger types it dispatches. */
  triggerTypes: string[];
  metadata: Record<string, unknown>;
  /** The sensor container's last report of the process (status, pid, last error...), for an API without the container. */
  runtime?: Record<string, unknown>;
  /** Set to ask the sensor container, wherever it runs, to restart the sensor. */
  restartRequestedAt?: string;
}

/** A trigger type declared by a sensor or built in. `id` is the ref `<pack>.<name>`. */
export interface TriggerTypeRecord extends Timestamps {
  id: string;
  ref: string;
  pack: string;
  name: string;
  description?: string;
  payloadSchema?: Record<string, unknown>;
  parametersSchema?: Record<string, unknown>;
  tags?: string[];
}

/**
 * A concrete trigger: a trigger type plus parameters, created when a rule uses a parameterised
 * trigger type (e.g. a timer with its interval). Rules sharing the same type and parameters share
 * one trigger. Look it up by `{type, parametersKey}`, never by equality on `parameters`.
 */
export interface TriggerRecord extends Timestamps {
  id: string;
  /** `<pack>.<name>`; for triggers created from rules the name is generated. */
  ref: string;
  pack: string;
  name: string;
  /** Trigger type ref. */
  type: string;
  parameters: Record<string, unknown>;
  /** `canonicalJson(parameters)`: the equality key for parameters. */
  parametersKey: string;
  /** How many rules use it; at 0 it may be removed. */
  refCount: number;
}

/** A rule. `id` is the rule ref `<pack>.<name>`. */
export interface RuleRecord extends Timestamps {
  id: string;
  ref: string;
  pack: string;
  name: string;
  description?: string;
  enabled: boolean;
  trigger: { type: string; parameters: Record<string, unknown>; ref?: string };
  criteria: Record<string, unknown>;
  action: { ref: string; parameters: Record<string, unknown> };
  tags?: string[];
  metadata?: Record<string, unknown>;
}

/** One step of an execution's life, appended with `push: {log: ...}` on each transition. */
export interface StatusChange {
  status: ExecutionStatus;
  at: string;
  /** The runner or user that made the change. */
  by?: string;
  reason?: string;
}

export interface ExecutionRecord {
  id: string;
  /** Action ref. */
  action: string;
  pack: string;
  runnerType?: string;
  /** Parameters as stored and shown: secret values already masked. */
  parameters: Record<string, unknown>;
  /**
   * The clear values of the secret parameters, encrypted with the datastore key; handed only to
   * the runner that claims the execution, never shown.
   */
  secretParameters?: string;
  status: ExecutionStatus;
  /**
   * The runner's result document (ActionOutcome.result) once completed, when it fits the record
   * (PACKRUN_RESULT_INLINE_BYTES); otherwise the fields that fit, or nothing, and `resultBlobs`
   * says where the rest is (store/execution-data.ts).
   */
  result?: Record<string, unknown>;
  /** Parts of the result document stored beside the record: stdout, stderr, the other fields. */
  resultBlobs?: Partial<Record<ExecutionBlobField, BlobRef>>;
  /** Bytes of the whole result document as JSON (what GET /executions/{id}/result answers). */
  resultSize?: number;
  /** Bytes of stdout and stderr as kept (after the output cap). */
  outputSize?: { stdout: number; stderr: number };
  /**
   * The order stdout and stderr came in, fitted to them (process/output-runs.ts); absent when
   * unknown (records from before it, a runner that does not say, output stored as parsed JSON).
   */
  outputRuns?: OutputRun[];
  /** The last part of the output, kept with the records of earlier versions. */
  stdoutTail?: string;
  stderrTail?: string;
  truncated?: { stdout: boolean; stderr: boolean };
  stopReason?: StopReason;
  /** Why it failed when the failure is Packrun's, not the action's (bad pack, lost runner). */
  error?: Failure;
  log: StatusChange[];
  createdAt: string;
  /** st2's `delay`: milliseconds the caller asked it held back (`delayed`) before it is scheduled. */
  delayMs?: number;
  /** When a `delayed` execution asked with a delay is due to be scheduled; absent on executions a concurrency policy holds. */
  delayUntil?: string;
  scheduledAt?: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** Id of the action runner that took it. */
  runnerId?: string;
  /** Who or what asked for it: `{user}`, `{rule, triggerInstance}`, `{parent}` ... */
  context: Record<string, unknown>;
  /**
   * Whether the templates in `parameters` are a caller's to render or data to insert; set by the
   * execution service, never taken from a request. Absent on records from before it existed:
   * leastPrivilegedCaller.
   */
  parameterOrigin?: ParameterOrigin;
  /** Id of the execution this one re-runs. */
  rerunOf?: string;
  /**
   * The request's `notify` block (`{on-complete, on-success, on-failure}`, StackStorm's shape),
   * used when the action's metadata has none.
   */
  notify?: Record<string, unknown>;
  /**
   * For a workflow re-run from some of its tasks (Orquesta): those tasks (empty: the failed ones).
   * The engine then starts from the original's state instead of from the start. Set only by the
   * execution service's re-run, never taken from a request's context.
   */
  rerunTasks?: string[];
  /**
   * With rerunTasks: the with-items tasks among them whose every item runs again (StackStorm's
   * `reset`; the others run only their failed items). Absent: every task named resets.
   */
  rerunReset?: string[];
  /** Rule ref when a rule requested it (copied out of context so the API can filter on it). */
  rule?: string;
  triggerInstance?: string;
  user?: string;
  /** The workflow execution that started this one as one of its tasks. */
  parent?: string;
  /** The executions this workflow execution started, in the order it started them. */
  children?: string[];
}

export type TriggerInstanceStatus = 'pending' | 'processing' | 'processed' | 'processing_failed';

export interface TriggerInstanceRecord {
  id: string;
  /** Trigger ref (or trigger type ref for unparameterised types). */
  trigger: string;
  payload: Record<string, unknown>;
  occurredAt: string;
  status: TriggerInstanceStatus;
  /** The sensor or webhook that dispatched it. */
  source?: string;
  traceTag?: string;
}

export interface RuleEnforcementRecord {
  id: string;
  /** Rule ref. */
  rule: string;
  triggerInstance: string;
  /** The execution it requested, when it got that far. */
  execution?: string;
  status: 'succeeded' | 'failed';
  failureReason?: string;
  enforcedAt: string;
}

export type KeyValueScope = 'system' | 'user';

/**
 * A datastore key. `id` is `keyValueId(scope, name, user)`. Secret values are stored encrypted
 * (see KeyValueService); `value` of a secret record is the ciphertext. Expired records are treated
 * as absent on read and removed lazily.
 */
export interface KeyValueRecord extends Timestamps {
  id: string;
  name: string;
  scope: KeyValueScope;
  /** Owner of a user-scoped key. */
  user?: string;
  value: string;
  secret: boolean;
  expiresAt?: string;
}

/**
 * An action runner's last heartbeat. Kept in the store so that every API process (and a restarted
 * one) sees the same liveness: executions held by a runner silent too long end `abandoned`.
 */
export interface RunnerRecord {
  /** The runner id, unique per runner process. */
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /**
   * Which process `pid` is (start time, boot id, pid namespace): with it, an API on the same host
   * tells a runner that is alive but late (its event loop stalled, the process stopped a while)
   * from one that is gone, without waiting for heartbeats.
   */
  processIdentity?: RunnerProcessIdentity;
  /** Executions it reported running at its last heartbeat. */
  running: string[];
  firstSeenAt: string;
  heartbeatAt: string;
}

/** An action policy a pack registered (`policies/*.yaml`). `id` is the ref `<pack>.<name>`. */
export interface PolicyRecord extends Timestamps {
  id: string;
  ref: string;
  pack: string;
  name: string;
  description?: string;
  enabled: boolean;
  /** The action it applies to. */
  resourceRef: string;
  policyType: 'action.concurrency' | 'action.concurrency.attr' | 'action.retry';
  /** As validated at install (pack/policy-meta.ts): threshold/action/attributes, or retry_on/max_retry_count/delay. */
  parameters: Record<string, unknown>;
}

/**
 * One of a concurrency policy's `threshold` places, held by a running execution. `id` is
 * `<policy>|<attribute values>#<n>` with n below the threshold: taking a place is an insert, which
 * the store refuses for an id that exists, so any number of runners and API processes never hand
 * out more places than there are.
 */
export interface PolicySlotRecord {
  id: string;
  policy: string;
  /** `<policy>|<attribute values>`: the count this place belongs to. */
  key: string;
  executionId: string;
  takenAt: string;
}

export interface RunnerProcessIdentity {
  startTime?: string;
  bootId?: string;
  pidNamespace?: string;
}

/** An API key. Only `hashApiKey(key)` is stored; the key itself is shown once when created. */
export interface ApiKeyRecord {
  id: string;
  keyHash: string;
  user: string;
  /**
   * What the key may do (docs/api.md). Keys stored before roles existed have none; the API gives
   * them `admin` at its next start (the CLI key `system_admin`) and reads a missing role as `admin`.
   */
  role?: ApiKeyRole;
  enabled: boolean;
  /** What it is for, in words (the CLI key's); shown in st2's `metadata` as `description`. */
  description?: string;
  /** st2's free-form `metadata` of an API key, as given at creation. */
  metadata?: Record<string, unknown>;
  createdAt: string;
  lastUsedAt?: string;
}

/**
 * An authentication token (StackStorm's `X-Auth-Token`), minted from an API key by
 * `POST /auth/v1/tokens`. Only `hashApiKey(token)` is stored. It acts with its key's user and
 * role, until `expiresAt` or until that key is disabled or deleted, whichever comes first.
 */
export interface AuthTokenRecord {
  id: string;
  tokenHash: string;
  /**
   * The key that minted it: the token is valid only while this key exists and is enabled. Absent
   * for a token the runtime minted for pack code (`execution`).
   */
  apiKeyId?: string;
  /** The key's user when it was minted, for listings; the key decides who the token acts as. */
  user: string;
  createdAt: string;
  expiresAt: string;
  /**
   * A token minted for one execution's job (ST2_ACTION_AUTH_TOKEN) or one sensor process
   * (ST2_AUTH_TOKEN): it acts as `user`, only within what pack code may do (execution-tokens.ts),
   * and only while that execution is held by `runnerId` and running.
   */
  execution?: PackCodeTokenScope;
  /** The execution (or sensor run) id of `execution`, at the top level so that one query revokes its tokens. */
  executionId?: string;
}

export interface PackCodeTokenScope {
  kind: 'action' | 'sensor';
  /** The execution id, or for a sensor the id of its run. */
  id: string;
  pack: string;
  /** The runner that claimed the execution (actions) or the sensor's ref (sensors). */
  holder: string;
}

// ---------------------------------------------------------------------------------------------
// The datastore as actions, sensors and templates see it (st2's action_service datastore calls).

export interface KeyValueGetOptions {
  scope?: KeyValueScope;
  /** Owner for scope 'user'. */
  user?: string;
  /** Return a secret's clear value; without it a secret's value is the ciphertext, as st2 does. */
  decrypt?: boolean;
}

export interface KeyValueSetOptions {
  scope?: KeyValueScope;
  user?: string;
  /** Seconds until the key expires; expired keys read as absent. */
  ttl?: number;
  /** Store the value encrypted and mark it secret. */
  encrypt?: boolean;
}

export interface KeyValueListOptions {
  scope?: KeyValueScope;
  user?: string;
  prefix?: string;
  decrypt?: boolean;
}

/** A datastore entry as handed out: `value` is clear text only if asked with `decrypt`. */
export interface KeyValueEntry {
  name: string;
  scope: KeyValueScope;
  user?: string;
  value: string;
  secret: boolean;
  expiresAt?: string;
}

export interface KeyValues {
  get(name: string, options?: KeyValueGetOptions): Promise<KeyValueEntry | undefined>;
  set(name: string, value: string, options?: KeyValueSetOptions): Promise<KeyValueEntry>;
  /** True if a key was removed. */
  delete(name: string, options?: Pick<KeyValueGetOptions, 'scope' | 'user'>): Promise<boolean>;
  list(options?: KeyValueListOptions): Promise<KeyValueEntry[]>;
}

// ---------------------------------------------------------------------------------------------
// Workflows (packages/workflow-engine).

/** A child execution a workflow step asked for: rendered parameters, inserted as data. */
export interface WorkflowChildRequest {
  /** Unique within the workflow and deterministic; the child's execution id is derived from it. */
  requestId: string;
  action: string;
  parameters: Record<string, unknown>;
  context: Record<string, unknown>;
}

/**
 * Effects a step decided, stored in the same write as the state they came from (an outbox) and
 * cleared once carried out. Carrying them out again is harmless: a child's id is derived from
 * its request, so a replayed start finds the child already made.
 */
export interface WorkflowOutbox {
  /** Changes with each step that fills the outbox; clearing it is a compare-and-set on it. */
  id: string;
  start: WorkflowChildRequest[];
  /** requestIds of children to cancel, pause or resume. */
  cancel: string[];
  pause: string[];
  resume: string[];
}

/** A child a workflow waits for: the request and the execution made for it. */
export interface WorkflowChildLink {
  requestId: string;
  execution: string;
  /**
   * The length of the child's status log when the driver was told it stopped (paused, or an
   * inquiry pending): told once per stop, so two children stopped at once are both heard of.
   */
  stopHeard?: number;
}

/** A pause, resume or cancel asked of a workflow through the API, in the order asked. */
export interface WorkflowControlRequest {
  kind: 'pause' | 'resume' | 'cancel';
  by: string;
  at: string;
}

/**
 * A workflow execution as the engine keeps it. `id` is the workflow execution's id. Every step is
 * a compare-and-set on `version`, so engines in several processes never apply two steps at once.
 */
export interface WorkflowRecord extends Timestamps {
  id: string;
  action: string;
  runnerType: string;
  /** The workflow file as it was when the execution started: an upgrade of its pack does not change a running workflow. */
  source: { pack: string; file: string; text: string };
  user: string;
  version: number;
  /** The driver's status (running, pausing, paused, resuming, canceling, canceled, succeeded, failed). */
  status: string;
  /**
   * The driver's state as it returned it, stored as JSON text: the store then copies one string
   * instead of encoding every key of a state that holds, say, a with-items task's thousand items
   * at each step. Records written before hold the value itself.
   */
  state?: unknown;
  /**
   * The children whose end the driver has not been told yet: only the outstanding ones (bounded by
   * what runs at once), so a step's write does not grow with the workflow's history. The whole
   * list of children is the workflow execution's `children`.
   */
  waiting: WorkflowChildLink[];
  outbox?: WorkflowOutbox;
  timers: Array<{ timerId: string; fireAt: number }>;
  /** The earliest `fireAt` of `timers` (ms since the epoch), for the engines' timer poll. */
  nextTimerAt?: number;
  /** Control requests, appended by the API; `controlSeen` of them were given to the driver. */
  control: WorkflowControlRequest[];
  controlSeen: number;
  /** Set when the driver finished: the execution's result as StackStorm stores it. */
  result?: unknown;
  /** `closed` once the workflow execution's record holds the final status and result. */
  phase: 'open' | 'closed';
  /** Which tasks' executions notify, and with what block (StackStorm's task notify), fixed when the workflow starts. */
  notify?: WorkflowNotify;
}

/**
 * The notify of a workflow's tasks, as StackStorm's runners set it: Orquesta gives the workflow's
 * notify block to the tasks its `notify` runner parameter names; an action chain gives each node
 * its own `notify`, or else the workflow's block, but not to the nodes `skip_notify` names.
 */
export interface WorkflowNotify {
  /** The workflow execution's notify block (its action's, else its request's); absent when it has none. */
  block?: Record<string, unknown>;
  /** Orquesta: the tasks that notify. */
  tasks?: string[];
  /** Action chain: the nodes that never notify. */
  skip?: string[];
}

/**
 * One item of a with-items task, as it ended: written once per item beside the workflow (an item
 * run again replaces its record), never inside the workflow's state, so a step's write does not
 * grow with the item count. The id is `<workflow>:<list>:<index>`; `list` names one run of the
 * task's items (the driver chooses it).
 */
export interface WorkflowItemRecord {
  id: string;
  workflow: string;
  list: string;
  index: number;
  status: string;
  result: unknown;
}
