import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PackrunError } from './errors.ts';

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

const home = (env: Env): string => path.resolve(env['PACKRUN_HOME'] ?? path.join(os.homedir(), '.packrun'));

const fields = {
  home: { env: 'PACKRUN_HOME', doc: 'Data folder: installed packs, envs, configs, embedded store, logs.', default: home, parse: (raw: string) => path.resolve(raw) },
  logLevel: { env: 'PACKRUN_LOG_LEVEL', doc: 'pino log level (trace, debug, info, warn, error).', default: () => 'warn', parse: text },
  python: { env: 'PACKRUN_PYTHON', doc: 'Python interpreter used to build pack virtualenvs (resolved to the real binary, not a pyenv shim).', default: () => 'python3', parse: text },
  node: { env: 'PACKRUN_NODE', doc: 'Node.js binary that runs node-script actions and Node sensors.', default: () => process.execPath, parse: text },
  uv: { env: 'PACKRUN_UV', doc: 'Path to uv for building Python envs; empty: look on PATH and in the repository tools folder.', default: () => undefined, parse: optionalText },
  mongodbUrl: { env: 'PACKRUN_MONGODB_URL', doc: 'MongoDB URL; unset: the embedded store in PACKRUN_HOME/store.', default: () => undefined, parse: optionalText, secret: true },
  rabbitmqUrl: { env: 'PACKRUN_RABBITMQ_URL', doc: 'RabbitMQ URL (amqp://user:pass@host:5672/vhost); unset: the in-process bus.', default: () => undefined, parse: optionalText, secret: true },
  apiHost: { env: 'PACKRUN_API_HOST', doc: 'Address the API listens on.', default: () => '127.0.0.1', parse: text },
  apiPort: { env: 'PACKRUN_API_PORT', doc: 'Port the API listens on.', default: () => 9101, parse: integer(0) },
  apiUrl: { env: 'PACKRUN_API_URL', doc: 'Where the CLI finds the API.', default: () => 'http://127.0.0.1:9101', parse: text },
  apiKey: { env: 'PACKRUN_API_KEY', doc: 'API key the CLI sends; unset: the key `packrun up` wrote to PACKRUN_HOME/secrets/cli-api-key.', default: () => undefined, parse: optionalText, secret: true },
  runnerConcurrency: { env: 'PACKRUN_RUNNER_CONCURRENCY', doc: 'Executions one action runner runs at once (also its RabbitMQ prefetch).', default: () => 4, parse: integer(1) },
  actionTimeoutSeconds: { env: 'PACKRUN_ACTION_TIMEOUT', doc: 'Default action timeout in seconds when the action sets none.', default: () => 600, parse: positiveNumber },
  killGraceSeconds: { env: 'PACKRUN_KILL_GRACE', doc: 'Seconds between SIGTERM and SIGKILL when a job is stopped.', default: () => 2, parse: positiveNumber },
  outputCapBytes: { env: 'PACKRUN_OUTPUT_CAP', doc: 'Bytes of stdout and of stderr kept per execution; the rest is drained and dropped.', default: () => 4 * 1024 * 1024, parse: integer(1024) },
  allowUnsafeRequirements: { env: 'PACKRUN_ALLOW_UNSAFE_REQUIREMENTS', doc: 'Allow requirements.txt lines that change where packages come from (index options, -e, includes, URLs).', default: () => false, parse: flag },
  allowNpmScripts: { env: 'PACKRUN_ALLOW_NPM_SCRIPTS', doc: 'Run npm install scripts of pack dependencies.', default: () => false, parse: flag },
  packIndex: { env: 'PACKRUN_PACK_INDEX', doc: 'Pack index (JSON file path or URL) used to resolve pack names.', default: () => undefined, parse: optionalText },
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
