import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PackrunError } from './errors.ts';
import { parseAllowedDestination, type AllowedDestination } from './net/host-destinations.ts';
import { parseHostPathGrants, type HostPathGrant } from './sandbox/host-paths.ts';
import { parseHostPortGrants, type HostPortGrants } from './sandbox/host-port-grants.ts';

/**
 * Packrun's one typed configuration. Every field has an environment variable, a default and a
 * doc line (docs/configuration.md lists them all; a test keeps it in step). Secret fields may be
 * given through a `<VAR>_FILE` variant that names a file holding the value. The environment is a
 * parameter so that tests and embedded services pass their own.
 */
type Parser<T> = (raw: string, variable: string) => T;

interface FieldSpec<T> {
  env: string;
  doc: string;
  default: (env: Env) => T;
  parse: Parser<T>;
  secret?: boolean;
}

export type Env = Record<string, string | undefined>;

const text: Parser<string> = (raw) => raw;
const optionalText: Parser<string | undefined> = (raw) => (raw === '' ? undefined : raw);
const integer =
  (min: number): Parser<number> =>
  (raw, variable) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      throw new PackrunError('CONFIG_INVALID', `${variable} must be an integer >= ${min}, got "${raw}"`, {
        details: { variable },
      });
    }
    return value;
  };
const integerBetween =
  (min: number, max: number): Parser<number> =>
  (raw, variable) => {
    const value = integer(min)(raw, variable);
    if (value > max) {
      throw new PackrunError('CONFIG_INVALID', `${variable} must be an integer from ${min} to ${max}, got "${raw}"`, {
        details: { variable },
      });
    }
    return value;
  };
const positiveNumber: Parser<number> = (raw, variable) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new PackrunError('CONFIG_INVALID', `${variable} must be a positive number, got "${raw}"`, {
      details: { variable },
    });
  }
  return value;
};
const flag: Parser<boolean> = (raw, variable) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new PackrunError('CONFIG_INVALID', `${variable} must be true or false, got "${raw}"`, {
    details: { variable },
  });
};

/** A sandbox layer switch: `auto` uses the layer when this host supports it, `required` refuses to
 * run jobs without it, `off` never uses it. */
export type LayerMode = 'auto' | 'required' | 'off';
const layerMode: Parser<LayerMode> = (raw, variable) => {
  const value = raw.toLowerCase();
  if (value === 'auto' || value === 'required' || value === 'off') return value;
  throw new PackrunError('CONFIG_INVALID', `${variable} must be auto, required or off, got "${raw}"`, {
    details: { variable },
  });
};

/** How logs are written: `pretty` lines for a person, pino's JSON lines for a collector, or `auto` (pretty when stderr is a terminal). */
export type LogFormat = 'auto' | 'pretty' | 'json';
const logFormat: Parser<LogFormat> = (raw, variable) => {
  const value = raw.toLowerCase();
  if (value === 'auto' || value === 'pretty' || value === 'json') return value;
  throw new PackrunError('CONFIG_INVALID', `${variable} must be auto, pretty or json, got "${raw}"`, {
    details: { variable },
  });
};

/** Comma-separated pack refs; each must be a valid ref, so a typo is an error rather than a grant to nobody. */
const packRefList: Parser<string[]> = (raw, variable) => {
  const refs = raw.split(',').map((ref) => ref.trim()).filter((ref) => ref !== '');
  const bad = refs.find((ref) => !/^[a-z0-9_]+$/.test(ref));
  if (bad !== undefined) {
    throw new PackrunError('CONFIG_INVALID', `${variable} must be a comma-separated list of pack refs, got "${bad}"`, {
      details: { variable },
    });
  }
  return refs;
};

/** `pack=interpreter,...`: the operator's choice of interpreter for a pack's env (a name on PATH or a path). */
/** Like packRefList, with `*` for every pack. */
const packRefsOrAll: Parser<string[]> = (raw, variable) => (raw.trim() === '*' ? ['*'] : packRefList(raw, variable));

const packPythonMap: Parser<Record<string, string>> = (raw, variable) => {
  const out: Record<string, string> = {};
  for (const entry of raw.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const at = entry.indexOf('=');
    const ref = entry.slice(0, at).trim();
    const python = entry.slice(at + 1).trim();
    if (at <= 0 || !/^[a-z0-9_]+$/.test(ref) || python === '') {
      throw new PackrunError('CONFIG_INVALID', `${variable} must be a comma-separated list of pack=interpreter, got "${entry}"`, {
        hint: 'e.g. PACKRUN_PACK_PYTHON=old_pack=/usr/bin/python3.9,fast_pack=pypy3',
        details: { variable },
      });
    }
    out[ref] = python;
  }
  return out;
};

const pythonSearchList: Parser<string[] | 'auto' | 'off'> = (raw, variable) => {
  const value = raw.trim();
  if (value === 'auto' || value === 'off') return value;
  const entries = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const bad = entries.find((entry) => !path.isAbsolute(entry));
  if (bad !== undefined || entries.length === 0) {
    throw new PackrunError('CONFIG_INVALID', `${variable} must be auto, off, or a comma-separated list of absolute paths, got "${bad ?? raw}"`, { details: { variable } });
  }
  return entries;
};

const destinationList: Parser<AllowedDestination[]> = (raw, variable) =>
  raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => parseAllowedDestination(entry, variable));

/** How the SSH runners check a server's host key against PACKRUN_SSH_KNOWN_HOSTS. */
export type SshHostKeyChecking = 'strict' | 'accept-new' | 'off';
const sshHostKeyChecking: Parser<SshHostKeyChecking> = (raw, variable) => {
  const value = raw.toLowerCase();
  if (value === 'strict' || value === 'accept-new' || value === 'off') return value;
  throw new PackrunError('CONFIG_INVALID', `${variable} must be strict, accept-new or off, got "${raw}"`, { details: { variable } });
};

/** Comma-separated absolute paths (files or folders). */
const absolutePathList: Parser<string[]> = (raw, variable) => {
  const paths = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const relative = paths.find((entry) => !path.isAbsolute(entry));
  if (relative !== undefined) {
    throw new PackrunError('CONFIG_INVALID', `${variable} takes absolute paths separated by commas, got "${relative}"`, { details: { variable } });
  }
  return paths.map((entry) => path.resolve(entry));
};

/** How the embedded store commits: see EmbeddedStoreOptions.sync. */
export type StoreSync = 'normal' | 'full';
const storeSync: Parser<StoreSync> = (raw, variable) => {
  const value = raw.toLowerCase();
  if (value === 'normal' || value === 'full') return value;
  throw new PackrunError('CONFIG_INVALID', `${variable} must be normal or full, got "${raw}"`, { details: { variable } });
};

/** A retention setting: a positive number, or `off` (or empty) for none. */
const optional =
  <T>(parse: Parser<T>): Parser<T | undefined> =>
  (raw, variable) => (raw === '' || /^off$/i.test(raw) ? undefined : parse(raw, variable));

/**
 * Origins (scheme://host[:port]) a browser page may call the API from, besides its own: each is
 * checked here so that a typo (a path, a trailing slash, a wildcard) is an error, not a silent
 * refusal. `*` is refused: an operator names the origins they trust.
 */
const originList: Parser<string[]> = (raw, variable) => {
  const origins: string[] = [];
  for (const entry of raw.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      const bare = (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
      // Only a bare origin: `https://host/` or `https://host/app` names a page, not an origin.
      if (bare && !entry.endsWith('/') && url.pathname === '/') origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined) {
      throw new PackrunError('CONFIG_INVALID', `${variable} takes origins (scheme://host[:port], no path, no wildcard) separated by commas, got "${entry}"`, {
        hint: 'e.g. PACKRUN_API_CORS_ORIGINS=https://ops.example.com,http://localhost:5173',
        details: { variable, entry },
      });
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
};

const home = (env: Env): string => path.resolve(env['PACKRUN_HOME'] ?? path.join(os.homedir(), '.packrun'));

const fields = {
  home: { env: 'PACKRUN_HOME', doc: 'Data folder: installed packs, envs, configs, embedded store, logs.', default: home, parse: (raw: string) => (raw === '' ? home({}) : path.resolve(raw)) },
  logLevel: { env: 'PACKRUN_LOG_LEVEL', doc: 'pino log level (trace, debug, info, warn, error).', default: () => 'warn', parse: text },
  logFormat: { env: 'PACKRUN_LOG_FORMAT', doc: 'How logs are written to stderr: auto (readable lines on a terminal, JSON lines otherwise), pretty, or json (pino\'s JSON, one object per line, for a log collector).', default: (): LogFormat => 'auto', parse: logFormat },
  python: { env: 'PACKRUN_PYTHON', doc: 'Python interpreter used to build pack virtualenvs (resolved to the real binary, not a pyenv shim).', default: () => 'python3', parse: text },
  node: { env: 'PACKRUN_NODE', doc: 'Node.js binary that runs node-script actions and Node sensors.', default: () => process.execPath, parse: text },
  packPython: { env: 'PACKRUN_PACK_PYTHON', doc: 'Interpreter for given packs\' envs, chosen by the operator over the pack\'s `python_versions`: comma-separated `pack=interpreter` (a name on PATH or a path, e.g. `old_pack=/usr/bin/python3.9,fast_pack=pypy3`); default none. Other packs get PACKRUN_PYTHON when it fits their `python_versions`, else the best fitting interpreter found on the host (see docs/configuration.md, "Python per pack").', default: (): Record<string, string> => ({}), parse: packPythonMap },
  pythonSearch: { env: 'PACKRUN_PYTHON_SEARCH', doc: 'Where Packrun looks for interpreters when PACKRUN_PYTHON does not fit a pack\'s `python_versions`: `auto` (uv\'s installed interpreters, pyenv\'s versions under PYENV_ROOT or ~/.pyenv, python3.X and pypy3 in /usr/bin and /usr/local/bin), `off` (none: only PACKRUN_PYTHON and PACKRUN_PACK_PYTHON), or a comma-separated list of absolute interpreter paths and folders to look in instead.', default: (): string[] | 'auto' | 'off' => 'auto', parse: pythonSearchList },
  uv: { env: 'PACKRUN_UV', doc: 'Path to uv for building Python envs; empty: look on PATH and in the repository tools folder; `off`: always use `python -m venv` and pip.', default: (): string | undefined => undefined, parse: optionalText },
  mongodbUrl: { env: 'PACKRUN_MONGODB_URL', doc: 'MongoDB URL; unset: the embedded store in PACKRUN_HOME/store.', default: (): string | undefined => undefined, parse: optionalText, secret: true },
  storeSync: { env: 'PACKRUN_STORE_SYNC', doc: 'How the embedded store commits: normal (each commit goes to the write-ahead log, which is synced to disk at checkpoints: always consistent, but a power cut may take back the last commits) or full (the log is synced on every commit; every write costs an fsync).', default: (): StoreSync => 'normal', parse: storeSync },
  rabbitmqUrl: { env: 'PACKRUN_RABBITMQ_URL', doc: 'RabbitMQ URL (amqp://user:pass@host:5672/vhost); unset: the in-process bus.', default: (): string | undefined => undefined, parse: optionalText, secret: true },
  sensorBrokerIdentity: { env: 'PACKRUN_SENSOR_BROKER_IDENTITY', doc: 'How the sensor container gives each pack its own RabbitMQ user so its sensors publish trigger instances straight to the broker (distributed deployment only): auto (the default: the management API of PACKRUN_RABBITMQ_MANAGEMENT_URL, or of the broker host on port 15672 with PACKRUN_RABBITMQ_URL\'s credentials, when it takes them as an administrator\'s; else PACKRUN_RABBITMQCTL when it answers for that broker on this host; else off), management, rabbitmqctl or off (sensors dispatch over the control channel and the container publishes). Never direct while the broker accepts guest:guest.', default: (): string | undefined => undefined, parse: optionalText },
  rabbitmqManagementUrl: { env: 'PACKRUN_RABBITMQ_MANAGEMENT_URL', doc: 'RabbitMQ management API with an administrator\'s credentials (http://admin:secret@host:15672), used to provision the per-pack sensor users.', default: (): string | undefined => undefined, parse: optionalText, secret: true },
  rabbitmqctl: { env: 'PACKRUN_RABBITMQCTL', doc: 'rabbitmqctl command (a path; a wrapper script can add -n <node>) used when PACKRUN_SENSOR_BROKER_IDENTITY is rabbitmqctl.', default: () => 'rabbitmqctl', parse: text },
  rabbitmqPrefix: { env: 'PACKRUN_RABBITMQ_PREFIX', doc: 'Prefix of the queue and exchange names, so several installations can share one RabbitMQ vhost.', default: () => 'packrun', parse: text },
  apiHost: { env: 'PACKRUN_API_HOST', doc: 'Address the API listens on.', default: () => '127.0.0.1', parse: text },
  apiPort: { env: 'PACKRUN_API_PORT', doc: 'Port the API listens on.', default: () => 9101, parse: integer(0) },
  apiCorsOrigins: { env: 'PACKRUN_API_CORS_ORIGINS', doc: 'Origins (scheme://host[:port], comma-separated) whose web pages may call the API from a browser (CORS preflights answered, Access-Control-Allow-Origin sent); default none: only the web UI the API serves itself (same origin). A preflight from any other origin is refused (403 CORS_ORIGIN_REFUSED).', default: (): string[] => [], parse: originList },
  webUi: { env: 'PACKRUN_WEB_UI', doc: 'Serve the web UI (packages/web, built by scripts/setup.sh) at / of the API\'s address (on, off).', default: () => true, parse: flag },
  webUiUrl: { env: 'PACKRUN_WEB_UI_URL', doc: 'The web UI\'s address as its users reach it (StackStorm\'s webui.webui_base_url), for the web_url of executions (<address>/executions/<id>); unset: the address the API listens on. No web_url while the UI is not served.', default: (): string | undefined => undefined, parse: optionalText },
  apiUrl: { env: 'PACKRUN_API_URL', doc: 'Where the CLI and the separate services find the API; unset: the address the API serving PACKRUN_HOME recorded in PACKRUN_HOME/run/api.json (the CLI then works on the store directly when no server runs).', default: (): string | undefined => undefined, parse: optionalText },
  apiKey: { env: 'PACKRUN_API_KEY', doc: 'API key the CLI sends; unset: the key `packrun up` wrote to PACKRUN_HOME/secrets/cli-api-key.', default: (): string | undefined => undefined, parse: optionalText, secret: true },
  runnerConcurrency: { env: 'PACKRUN_RUNNER_CONCURRENCY', doc: 'Executions one action runner runs at once (also its RabbitMQ prefetch).', default: () => 4, parse: integer(1) },
  actionTimeoutSeconds: { env: 'PACKRUN_ACTION_TIMEOUT', doc: 'Default action timeout in seconds when the action sets none.', default: () => 600, parse: positiveNumber },
  killGraceSeconds: { env: 'PACKRUN_KILL_GRACE', doc: 'Seconds between SIGTERM and SIGKILL when a job is stopped.', default: () => 2, parse: positiveNumber },
  outputCapBytes: { env: 'PACKRUN_OUTPUT_CAP', doc: 'Bytes of stdout and of stderr kept per execution; the rest is drained and dropped.', default: () => 4 * 1024 * 1024, parse: integer(1024) },
  outputLimitBytes: { env: 'PACKRUN_OUTPUT_LIMIT', doc: 'Bytes of stdout plus stderr after which a job is stopped (failed, stop reason output_limit); below it, output past PACKRUN_OUTPUT_CAP is only dropped.', default: () => 256 * 1024 * 1024, parse: integer(1024) },
  inputMaxBytes: { env: 'PACKRUN_INPUT_MAX_BYTES', doc: 'Largest JSON input in bytes: an API request body, a webhook body, a trigger payload (from a sensor on any path), a bus message; larger is refused (413, INPUT_TOO_LARGE). A runner\'s report of a result may be as large as the result and output limits allow.', default: () => 4 * 1024 * 1024, parse: integer(1024) },
  inputMaxStringBytes: { env: 'PACKRUN_INPUT_MAX_STRING', doc: 'Longest string (key or value) in a JSON input, in bytes; longer is refused (413, INPUT_STRING_TOO_LONG).', default: () => 1024 * 1024, parse: integer(64) },
  inputMaxItems: { env: 'PACKRUN_INPUT_MAX_ITEMS', doc: 'Most elements of one array, or members of one object, in a JSON input; more is refused (413, INPUT_TOO_MANY_ITEMS).', default: () => 100_000, parse: integer(16) },
  jsonMaxDepth: { env: 'PACKRUN_JSON_MAX_DEPTH', doc: 'Levels of nested objects and arrays allowed in a JSON input or an action result, the value itself being level 1; deeper is refused (400, INPUT_TOO_DEEP) or fails the execution (RESULT_TOO_DEEP). At most 64, so that a stored record stays within the store\'s 100 levels.', default: () => 32, parse: integerBetween(2, 64) },
  resultMaxBytes: { env: 'PACKRUN_RESULT_MAX_BYTES', doc: 'Largest action result in bytes of JSON (what the action returns, without its output); larger fails the execution (RESULT_TOO_LARGE).', default: () => 16 * 1024 * 1024, parse: integer(1024) },
  resultInlineBytes: { env: 'PACKRUN_RESULT_INLINE_BYTES', doc: 'An execution\'s result document (result, stdout and stderr) up to this many bytes of JSON is kept in the execution record and shown in lists; a larger one is stored beside it (files under PACKRUN_HOME/store/blobs, or GridFS) and fetched from GET /api/v1/executions/{id}/result and /output.', default: () => 16 * 1024, parse: integer(0) },
  allowUnsafeRequirements: { env: 'PACKRUN_ALLOW_UNSAFE_REQUIREMENTS', doc: 'Allow requirements.txt lines that change where packages come from (index options, -e, includes, URLs) and package.json dependencies not from the npm registry.', default: () => false, parse: flag },
  allowNpmScripts: { env: 'PACKRUN_ALLOW_NPM_SCRIPTS', doc: 'Run npm install scripts of pack dependencies.', default: () => false, parse: flag },
  packIndex: { env: 'PACKRUN_PACK_INDEX', doc: 'Pack index (JSON file path or URL) used to resolve pack names.', default: (): string | undefined => undefined, parse: optionalText },
  datastoreSystemWriters: { env: 'PACKRUN_DATASTORE_SYSTEM_WRITERS', doc: 'Packs (comma-separated refs) whose actions and sensors may write and delete system-scope datastore keys outside their own `<pack>.<Class>:` keys (set_value/delete_value with local=False); default none. Every pack may read system keys, and no pack may touch another pack\'s local keys.', default: (): string[] => [], parse: packRefList },
  datastoreKey: { env: 'PACKRUN_DATASTORE_KEY', doc: 'Base64 of the 32-byte AES-256-GCM key that encrypts datastore secrets; unset: PACKRUN_HOME/secrets/datastore.key, created on first use.', default: (): string | undefined => undefined, parse: optionalText, secret: true },
  retentionExecutionsDays: { env: 'PACKRUN_RETENTION_EXECUTIONS_DAYS', doc: 'Completed executions older than this many days (fractions allowed) are removed with their stored output; off (the default): kept for ever. Running ones never are.', default: (): number | undefined => undefined, parse: optional(positiveNumber) },
  retentionExecutionsCount: { env: 'PACKRUN_RETENTION_EXECUTIONS_COUNT', doc: 'Only the newest this many completed executions are kept; off (the default): no limit.', default: (): number | undefined => undefined, parse: optional(integer(1)) },
  retentionTriggerInstancesDays: { env: 'PACKRUN_RETENTION_TRIGGER_INSTANCES_DAYS', doc: 'Processed trigger instances older than this many days are removed (default 30; off: kept for ever).', default: (): number | undefined => 30, parse: optional(positiveNumber) },
  retentionTriggerInstancesCount: { env: 'PACKRUN_RETENTION_TRIGGER_INSTANCES_COUNT', doc: 'Only the newest this many processed trigger instances are kept; off (the default): no limit.', default: (): number | undefined => undefined, parse: optional(integer(1)) },
  retentionEnforcementsDays: { env: 'PACKRUN_RETENTION_ENFORCEMENTS_DAYS', doc: 'Rule enforcements older than this many days are removed (default 30; off: kept for ever).', default: (): number | undefined => 30, parse: optional(positiveNumber) },
  retentionEnforcementsCount: { env: 'PACKRUN_RETENTION_ENFORCEMENTS_COUNT', doc: 'Only the newest this many rule enforcements are kept; off (the default): no limit.', default: (): number | undefined => undefined, parse: optional(integer(1)) },
  retentionIntervalSeconds: { env: 'PACKRUN_RETENTION_INTERVAL', doc: 'Seconds between two passes of the retention job in the API process (default 600); the first runs a minute after start.', default: () => 600, parse: positiveNumber },
  busWaitSeconds: { env: 'PACKRUN_BUS_WAIT', doc: 'Seconds a message waits for an unreachable RabbitMQ before the send fails (it is resent after a reconnect until then).', default: () => 30, parse: positiveNumber },
  apiAuth: { env: 'PACKRUN_API_AUTH', doc: 'Require an API key on every API route but health and the OpenAPI description; off, every caller is treated as a system_admin (turn off only on a trusted loopback).', default: () => true, parse: flag },
  actionApiPacks: { env: 'PACKRUN_ACTION_API_PACKS', doc: 'Packs (comma-separated refs, or * for every pack) whose actions and sensors get StackStorm\'s API as StackStorm gives it: ST2_ACTION_API_URL / ST2_API_URL (and ST2_AUTH_URL, ST2_STREAM_URL) and ST2_ACTION_AUTH_TOKEN / ST2_AUTH_TOKEN, a token valid only while that execution runs (a sensor\'s: while its process runs and it is enabled) and limited to what StackStorm lets that code do (its pack\'s datastore keys; for actions reading actions, starting and reading executions of its own; for sensors dispatching its pack\'s triggers); under the network layer the API\'s port is their one more way out of their namespace. Default none: pack code using st2client (the Exchange st2 pack) needs its pack listed. Ignored while PACKRUN_API_AUTH=false. See docs/sandbox.md, "StackStorm\'s API from pack code".', default: (): string[] => [], parse: packRefsOrAll },
  actionApiExecutionReaders: { env: 'PACKRUN_ACTION_API_EXECUTION_READERS', doc: 'Packs (comma-separated refs, or * for every pack) of PACKRUN_ACTION_API_PACKS whose actions\' tokens also read any execution (GET /v1/executions, /v1/executions/<id>, its result and output) that the execution\'s user could read through the role of their enabled API keys (observer and up: every execution; no such key: none beyond the token\'s own scope); never cancel, re-run, pause or anything else. For the Exchange syslog_client pack (format_execution_result). Default none. Read by the API process, which holds every token to its scope. See docs/sandbox.md, "StackStorm\'s API from pack code".', default: (): string[] => [], parse: packRefsOrAll },
  tokenTtlMaxSeconds: { env: 'PACKRUN_TOKEN_TTL_MAX', doc: 'Longest life in seconds of an authentication token (POST /auth/v1/tokens, StackStorm\'s auth.token_ttl), and the life of one asked without a ttl; a longer ttl is refused (400 TOKEN_TTL_TOO_LARGE). Default 86400 (24 h), as StackStorm\'s; at most 10 years.', default: () => 86400, parse: integerBetween(1, 10 * 365 * 86400) },
  runnerHeartbeatSeconds: { env: 'PACKRUN_RUNNER_HEARTBEAT', doc: 'Seconds between action runner heartbeats; a runner silent for 3 of them is dead and its executions end abandoned.', default: () => 5, parse: positiveNumber },
  shutdownGraceSeconds: { env: 'PACKRUN_SHUTDOWN_GRACE', doc: 'Seconds a stopping service lets running executions finish before handing them back to the queue.', default: () => 30, parse: positiveNumber },
  sandboxBwrap: { env: 'PACKRUN_SANDBOX_BWRAP', doc: 'Sandbox layer: bubblewrap namespaces (auto, required, off).', default: (): LayerMode => 'auto', parse: layerMode },
  sandboxSeccomp: { env: 'PACKRUN_SANDBOX_SECCOMP', doc: 'Sandbox layer: seccomp filter denying mount, ptrace, bpf, kexec, module loading and other kernel-facing calls; needs bubblewrap (auto, required, off).', default: (): LayerMode => 'auto', parse: layerMode },
  sandboxCgroups: { env: 'PACKRUN_SANDBOX_CGROUPS', doc: 'Sandbox layer: a cgroup per job for memory, pids and CPU limits and whole-tree kill (auto, required, off).', default: (): LayerMode => 'auto', parse: layerMode },
  sandboxUser: { env: 'PACKRUN_SANDBOX_USER', doc: 'Sandbox layer: run jobs as a non-root uid with no_new_privs, no capabilities and rlimits (auto, required, off).', default: (): LayerMode => 'auto', parse: layerMode },
  sandboxUid: { env: 'PACKRUN_SANDBOX_UID', doc: 'First uid of the range jobs run as when the runtime is root: each running job gets its own uid (gid the same), so jobs cannot signal each other. The range must hold no real accounts.', default: () => 1_000_000, parse: integer(1) },
  sandboxUidCount: { env: 'PACKRUN_SANDBOX_UID_COUNT', doc: 'How many uids the sandbox range holds.', default: () => 65536, parse: integer(1) },
  sandboxMemoryMb: { env: 'PACKRUN_SANDBOX_MEMORY_MB', doc: 'Default memory limit of a job in MiB (packs and actions may ask for less).', default: () => 512, parse: integer(16) },
  sandboxMemoryMaxMb: { env: 'PACKRUN_SANDBOX_MEMORY_MAX_MB', doc: 'Largest memory limit a pack or action may ask for, in MiB.', default: () => 2048, parse: integer(16) },
  sandboxPids: { env: 'PACKRUN_SANDBOX_PIDS', doc: 'Default limit of processes and threads in one job.', default: () => 256, parse: integer(8) },
  sandboxPidsMax: { env: 'PACKRUN_SANDBOX_PIDS_MAX', doc: 'Largest pids limit a pack or action may ask for.', default: () => 1024, parse: integer(8) },
  sandboxCpu: { env: 'PACKRUN_SANDBOX_CPU', doc: 'Default CPU share of a job, in cores (0.5 = half a core).', default: () => 1, parse: positiveNumber },
  sandboxCpuMax: { env: 'PACKRUN_SANDBOX_CPU_MAX', doc: 'Largest CPU share a pack or action may ask for, in cores.', default: () => 2, parse: positiveNumber },
  sandboxNetwork: { env: 'PACKRUN_SANDBOX_NETWORK', doc: 'Whether jobs may use the network at all; false removes it even where a pack asks for it (needs bubblewrap).', default: () => true, parse: flag },
  sandboxTimeoutMaxSeconds: { env: 'PACKRUN_SANDBOX_TIMEOUT_MAX', doc: 'Longest timeout in seconds a pack or action may ask for.', default: () => 86400, parse: positiveNumber },
  sandboxTmpMb: { env: 'PACKRUN_SANDBOX_TMP_MB', doc: 'Size of the private /tmp of a job in MiB, and of its /dev/shm (bubblewrap).', default: () => 64, parse: integer(1) },
  sandboxJobMb: { env: 'PACKRUN_SANDBOX_JOB_MB', doc: 'Size of a job folder in MiB under bubblewrap, where it is a private tmpfs counted against the job memory.', default: () => 128, parse: integer(1) },
  sandboxFileSizeMb: { env: 'PACKRUN_SANDBOX_FILE_SIZE_MB', doc: 'Largest file a job may write, in MiB (RLIMIT_FSIZE).', default: () => 256, parse: integer(1) },
  sandboxOpenFiles: { env: 'PACKRUN_SANDBOX_OPEN_FILES', doc: 'Open files per job process (RLIMIT_NOFILE).', default: () => 1024, parse: integer(64) },
  sandboxBuildUid: { env: 'PACKRUN_SANDBOX_BUILD_UID', doc: 'Uid (gid the same) every env build (uv, pip, npm) runs as when the runtime is root: one fixed uid, so the tool caches it writes stay its own. Must be no real account and outside the job uid range.', default: () => 999_999, parse: integer(1) },
  sandboxZygoteUid: { env: 'PACKRUN_SANDBOX_ZYGOTE_UID', doc: 'Uid (gid the same) warm Python zygotes run as under the sandbox, holding only the capabilities to hand each forked child a job uid (and a seccomp filter that allows no other). Must be no real account and outside the job uid range.', default: () => 999_998, parse: integer(1) },
  sandboxNetns: { env: 'PACKRUN_SANDBOX_NETNS', doc: 'Sandbox layer: a network namespace of its own for every job, sensor and env build that has network, with user-mode egress (pasta) that reaches the outside world but none of the host\'s addresses (auto, required, off).', default: (): LayerMode => 'auto', parse: layerMode },
  sandboxNetworkUid: { env: 'PACKRUN_SANDBOX_NETWORK_UID', doc: 'Uid (gid the same) pasta runs as, giving jobs their network: it owns the jobs\' network namespaces, so it must be no real account, outside the job uid range and neither the build nor the zygote uid.', default: () => 999_997, parse: integer(1) },
  sandboxNetnsSpares: { env: 'PACKRUN_SANDBOX_NETNS_SPARES', doc: 'Network namespaces made ahead and kept ready per set of forwarded host ports in use (0: each job with network waits for its own, ~100 ms).', default: () => 2, parse: integer(0) },
  sandboxHostPorts: { env: 'PACKRUN_SANDBOX_HOST_PORTS', doc: 'Host loopback ports a pack\'s jobs (actions, sensors, env builds) may reach, as pack=port entries separated by commas (mypack=5432,othpack=6379; repeat a pack for more ports; * for every pack), a port TCP unless it ends in /udp (syslog_client=514/udp; /tcp may be written); they reach exactly those ports on 127.0.0.1 and nothing else of the host. Empty by default.', default: (): HostPortGrants => ({}), parse: parseHostPortGrants },
  sandboxHostPaths: { env: 'PACKRUN_SANDBOX_HOST_PATHS', doc: 'Host folders granted to a pack\'s jobs and sensors (pack=/path) or to one action\'s jobs (pack.action=/path), bound at the same path inside the sandbox, read-only unless the entry ends in :rw; entries separated by commas (csv=/srv/reports,git=/var/lib/git-clones:rw). A writable folder is given to the pack\'s group (setgid, group-writable) so that every job of the pack, each under a uid of its own, writes there. Never Packrun\'s data folder, /proc, /sys, /dev, /run or /boot; no folder inside another. Nothing by default.', default: (): HostPathGrant[] => [], parse: parseHostPathGrants },
  sandboxBuildMemoryMb: { env: 'PACKRUN_SANDBOX_BUILD_MEMORY_MB', doc: 'Memory limit of one env build in MiB (cgroups).', default: () => 2048, parse: integer(64) },
  sandboxBuildPids: { env: 'PACKRUN_SANDBOX_BUILD_PIDS', doc: 'Limit of processes and threads in one env build.', default: () => 512, parse: integer(16) },
  sandboxBuildTimeoutSeconds: { env: 'PACKRUN_SANDBOX_BUILD_TIMEOUT', doc: 'Longest time in seconds one env build step (uv venv, uv pip install, pip install, npm install) may take before it is killed.', default: () => 900, parse: positiveNumber },
  httpAllow: { env: 'PACKRUN_HTTP_ALLOW', doc: 'Destinations on the runtime\'s own host (loopback, its own addresses, link-local such as 169.254.169.254) that http-request actions (core.http) may reach, which they never may otherwise: comma-separated address[/prefix][:port], IPv6 in brackets with a port (127.0.0.1:8080, 10.1.2.3, [::1]:8080); default none.', default: (): AllowedDestination[] => [], parse: destinationList },
  sshAllow: { env: 'PACKRUN_SSH_ALLOW', doc: 'Destinations on the runtime\'s own host (loopback, its own addresses, link-local) that remote-shell actions (core.remote) may connect to over SSH, which they never may otherwise; same syntax as PACKRUN_HTTP_ALLOW (127.0.0.1:2222, [::1]:22); default none.', default: (): AllowedDestination[] => [], parse: destinationList },
  sshUser: { env: 'PACKRUN_SSH_USER', doc: 'User the SSH runners log in as when an action gives no username (StackStorm\'s system_user.user).', default: () => 'stanley', parse: text },
  sshKeyFile: { env: 'PACKRUN_SSH_KEY_FILE', doc: 'Private key file the SSH runners use when an action gives neither password nor private_key (StackStorm\'s system_user.ssh_key_file); unset: such an action fails, naming this variable.', default: (): string | undefined => undefined, parse: optionalText },
  sshKeyPaths: { env: 'PACKRUN_SSH_KEY_PATHS', doc: 'Key files, or folders of key files, that an action\'s private_key parameter may name by path (absolute paths separated by commas), besides PACKRUN_SSH_KEY_FILE; default none: any other path is refused (key material is always accepted).', default: (): string[] => [], parse: absolutePathList },
  sshKnownHosts: { env: 'PACKRUN_SSH_KNOWN_HOSTS', doc: 'OpenSSH known_hosts file the SSH runners check server host keys against (hashed entries, [host]:port and wildcards understood); accept-new appends to it.', default: (env: Env) => path.join(home(env), 'ssh', 'known_hosts'), parse: (raw: string) => path.resolve(raw) },
  sshHostKeyChecking: { env: 'PACKRUN_SSH_HOST_KEY_CHECKING', doc: 'strict: a server must have a matching key in PACKRUN_SSH_KNOWN_HOSTS; accept-new (default): an unknown server\'s key is recorded there on first contact, a changed key is refused; off: no check at all (StackStorm\'s behaviour, open to anyone in the path).', default: (): SshHostKeyChecking => 'accept-new', parse: sshHostKeyChecking },
  sshConnectTimeoutSeconds: { env: 'PACKRUN_SSH_CONNECT_TIMEOUT', doc: 'Seconds an SSH connection and login may take (StackStorm\'s ssh_runner.ssh_connect_timeout); at most the action\'s timeout less 2 s.', default: () => 60, parse: positiveNumber },
  sshMaxParallel: { env: 'PACKRUN_SSH_MAX_PARALLEL', doc: 'Most hosts one remote-shell execution with parallel: true works on at once (StackStorm\'s ssh_runner.max_parallel_actions).', default: () => 50, parse: integer(1) },
  sshAllowPartialFailure: { env: 'PACKRUN_SSH_ALLOW_PARTIAL_FAILURE', doc: 'A remote-shell execution succeeds when at least one host succeeded (StackStorm\'s ssh_runner.allow_partial_failure); default false: it fails if any host failed.', default: () => false, parse: flag },
  rulesConcurrency: { env: 'PACKRUN_RULES_CONCURRENCY', doc: 'Trigger instances the rules engine processes at once.', default: () => 4, parse: integer(1) },
  sensorBackoffInitialSeconds: { env: 'PACKRUN_SENSOR_BACKOFF_INITIAL', doc: 'Delay in seconds before the first restart of a crashed sensor; it doubles on each crash in a row.', default: () => 1, parse: positiveNumber },
  sensorBackoffMaxSeconds: { env: 'PACKRUN_SENSOR_BACKOFF_MAX', doc: 'Longest delay in seconds between restarts of a crash-looping sensor (it is never given up).', default: () => 60, parse: positiveNumber },
  sensorStableSeconds: { env: 'PACKRUN_SENSOR_STABLE_AFTER', doc: 'A sensor run this long in seconds counts as healthy: its next crash starts the backoff over.', default: () => 60, parse: positiveNumber },
  sensorFailingAfter: { env: 'PACKRUN_SENSOR_FAILING_AFTER', doc: 'Crashes in a row after which a sensor is reported as failing (it is still restarted).', default: () => 3, parse: integer(1) },
  sensorStopGraceSeconds: { env: 'PACKRUN_SENSOR_STOP_GRACE', doc: 'Seconds a sensor gets to run cleanup() after the stop request before it is killed.', default: () => 5, parse: positiveNumber },
  warmSpawn: { env: 'PACKRUN_WARM_SPAWN', doc: 'Start Python actions by forking a warm per-pack zygote and Node actions in wrappers started ahead, instead of fresh interpreters (on, off); see docs/fast-spawn.md.', default: () => true, parse: flag },
  warmIdleSeconds: { env: 'PACKRUN_WARM_IDLE', doc: 'Seconds an unused zygote or waiting Node wrapper is kept before it stops, so memory stays bounded.', default: () => 300, parse: positiveNumber },
  sensorRefreshSeconds: { env: 'PACKRUN_SENSOR_REFRESH', doc: 'How often the sensor container re-reads sensors and triggers from the store, in seconds.', default: () => 2, parse: positiveNumber },
} satisfies Record<string, FieldSpec<unknown>>;

type Fields = typeof fields;
export type PackrunConfig = { [K in keyof Fields]: ReturnType<Fields[K]['default']> };

export const configFields: ReadonlyArray<{ key: string; env: string; doc: string; secret: boolean }> = Object.entries(
  fields,
).map(([key, spec]) => ({ key, env: spec.env, doc: spec.doc, secret: 'secret' in spec && spec.secret === true }));

function rawValue(env: Env, spec: FieldSpec<unknown>): string | undefined {
  const direct = env[spec.env];
  if (direct !== undefined) return direct;
  const file = spec.secret ? env[`${spec.env}_FILE`] : undefined;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new PackrunError('CONFIG_INVALID', `${spec.env}_FILE names ${file}, which cannot be read`, {
      details: { variable: `${spec.env}_FILE` },
      cause,
    });
  }
}

export function loadConfig(env: Env = process.env): PackrunConfig {
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(fields) as Array<[string, FieldSpec<unknown>]>) {
    const raw = rawValue(env, spec);
    config[key] = raw === undefined ? spec.default(env) : spec.parse(raw, spec.env);
  }
  return config as PackrunConfig;
}
