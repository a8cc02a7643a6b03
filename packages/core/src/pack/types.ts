import type { PolicyMeta } from './policy-meta.ts';
/**
 * The pack model: what Packrun reads from a StackStorm-format pack folder. Field names are camelCase;
 * each metadata object keeps the parsed YAML as `raw` so StackStorm's own key names stay reachable.
 */

/** Something wrong or suspicious in one file of a pack. `code` is a documented error code. */
export interface PackProblem {
  /** Path relative to the pack folder, e.g. `actions/echo.yaml`. */
  file: string;
  /** Dotted path of the offending field inside the file, e.g. `parameters.count.position`; absent when the whole file is at fault. */
  field?: string;
  message: string;
  code: string;
}

export interface PackMeta {
  ref: string;
  /** Where the ref came from: pack.yaml's `ref`, else the folder's name, else pack.yaml's `name`. */
  refFrom: 'ref' | 'folder' | 'name';
  name: string;
  description: string;
  /** Strict semver, always a string (a YAML number is stringified first). */
  version: string;
  author: string;
  email?: string;
  keywords: string[];
  contributors: string[];
  /** `name`, `name=version` or a git URL, as written. */
  dependencies: string[];
  /** `stackstorm_version`, a comparison list such as `>=1.8.0, <2.2.0`. */
  stackstormVersion?: string;
  /** `python_versions`, e.g. `["3"]`. */
  pythonVersions: string[];
  system: Record<string, unknown>;
  /** Top-level keys that the pack format does not define; reported as warnings, never fatal. */
  unknownKeys: string[];
  raw: Record<string, unknown>;
}

export const parameterTypes = ['string', 'integer', 'number', 'boolean', 'array', 'object', 'null'] as const;
export type ParameterType = (typeof parameterTypes)[number];

/** One action (or runner) parameter: a draft-4 JSON schema plus StackStorm's own attributes. */
export interface ParameterSpec {
  name: string;
  /** Absent means any type. */
  type?: ParameterType;
  description?: string;
  required: boolean;
  /** Whether `default` was given at all (a `default: null` counts). */
  hasDefault: boolean;
  /** May be a Jinja template over `st2kv.*`, `config_context.*` and the other parameters. */
  default?: unknown;
  secret: boolean;
  /** The default cannot be overridden by the caller. */
  immutable: boolean;
  /** Shell runners pass positional parameters in this order (>= 0). */
  position?: number;
  enum?: unknown[];
  /** The JSON schema (draft 4) that validates a value: the spec without StackStorm's own attributes. */
  schema: Record<string, unknown>;
  /** Defined by the runner (e.g. `cmd`, `env`, `timeout`), possibly overridden by the action: configures
   * the runner and is not passed to the script as an argument. */
  runnerParameter: boolean;
  raw: Record<string, unknown>;
}

export interface ActionMeta {
  /** `<pack>.<name>` */
  ref: string;
  name: string;
  pack: string;
  description?: string;
  enabled: boolean;
  /** `runner_type` */
  runnerType: string;
  /** `entry_point`, relative to `actions/`. */
  entryPoint?: string;
  parameters: Record<string, ParameterSpec>;
  /** `output_schema` */
  outputSchema?: Record<string, unknown>;
  tags: unknown[];
  /** The metadata file, relative to the pack folder. */
  file: string;
  /**
   * Set when the action cannot run here (its runner is missing): it is still loaded and registered,
   * so that running it says why rather than "not found".
   */
  unavailable?: ActionUnavailable;
  raw: Record<string, unknown>;
}

/** Why a loaded action cannot run; `code` is the error code running it fails with. */
export interface ActionUnavailable {
  /** ACTION_RUNNER_MISSING; for a workflow, WORKFLOW_INVALID (its driver refused its file) or WORKFLOW_DRIVER_MISSING. */
  code: 'ACTION_RUNNER_MISSING' | 'WORKFLOW_INVALID' | 'WORKFLOW_DRIVER_MISSING';
  /** The runner named by `runner_type` (canonical name when it is a known alias). */
  runner: string;
  message: string;
  /** The field at fault: `runner_type` when absent. */
  field?: string;
  /** A workflow's problems, each naming its file and, where known, task and line. */
  problems?: Array<{ code: string; message: string; file: string; task?: string; line?: number; path?: string }>;
}

export interface TriggerTypeSpec {
  /** `<pack>.<name>` */
  ref: string;
  name: string;
  pack: string;
  description?: string;
  /** `payload_schema` */
  payloadSchema?: Record<string, unknown>;
  /** `parameters_schema` */
  parametersSchema?: Record<string, unknown>;
  tags: unknown[];
  raw: Record<string, unknown>;
}

export interface SensorMeta {
  /** `<pack>.<class_name>` */
  ref: string;
  /** `class_name` */
  className: string;
  pack: string;
  /** `entry_point`, relative to `sensors/`. */
  entryPoint?: string;
  description?: string;
  enabled: boolean;
  /** `poll_interval`, seconds. */
  pollInterval?: number;
  /** `trigger_types` */
  triggerTypes: TriggerTypeSpec[];
  file: string;
  raw: Record<string, unknown>;
}

export interface RuleCriterion {
  type?: string;
  pattern?: unknown;
  [key: string]: unknown;
}

export interface RuleMeta {
  /** `<pack>.<name>` */
  ref: string;
  name: string;
  pack: string;
  description?: string;
  enabled: boolean;
  trigger: { type: string; parameters: Record<string, unknown> };
  /** Dotted path over `{trigger: payload}` -> criterion. */
  criteria: Record<string, RuleCriterion>;
  action: { ref: string; parameters: Record<string, unknown> };
  tags: unknown[];
  file: string;
  raw: Record<string, unknown>;
}

/** One attribute of `config.schema.yaml`: a JSON schema plus `required`, `secret` and nested `properties`. */
export interface ConfigAttributeSchema {
  type?: string | string[];
  description?: string;
  required?: boolean;
  default?: unknown;
  secret?: boolean;
  properties?: Record<string, ConfigAttributeSchema>;
  items?: ConfigAttributeSchema | ConfigAttributeSchema[];
  additionalProperties?: boolean | ConfigAttributeSchema;
  enum?: unknown[];
  [key: string]: unknown;
}

/** `config.schema.yaml`: attribute name -> schema. */
export type ConfigSchema = Record<string, ConfigAttributeSchema>;

export interface LoadedPack {
  ref: string;
  /** Absolute path of the pack folder. */
  dir: string;
  meta: PackMeta;
  actions: ActionMeta[];
  sensors: SensorMeta[];
  rules: RuleMeta[];
  /** `policies/*.yaml`: action policies (concurrency, retry). */
  policies: PolicyMeta[];
  configSchema?: ConfigSchema;
  /** Files that could not be loaded; everything else in the pack still loaded. */
  problems: PackProblem[];
  /** Non-fatal remarks, such as unknown keys. */
  warnings: PackProblem[];
}
