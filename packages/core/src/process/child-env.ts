import { actionApiVariableNames } from '../pack-api/variable-names.ts';

/**
 * The environment of a job: built from nothing plus an allow-list, so the runtime's own
 * variables (API keys, database URLs, anything a deployment put there) never reach pack code.
 */
const defaultPath = '/usr/local/bin:/usr/bin:/bin';

export interface ChildEnvOptions {
  jobDir: string;
  pack: string;
  executionId: string;
  /** Folders put in front of PATH (e.g. the pack venv's bin). */
  pathPrefix?: string[];
  /** Variables the runner itself sets (NODE_PATH, a sensor's ref); never what a caller or pack gives (LaunchSpec.jobEnv). */
  extra?: Record<string, string>;
  /** Where PATH, LANG and LC_ALL are taken from; the runtime's environment by default. */
  from?: Record<string, string | undefined>;
}

export function buildChildEnv(options: ChildEnvOptions): Record<string, string> {
  const from = options.from ?? process.env;
  const path = [...(options.pathPrefix ?? []), from['PATH'] || defaultPath].join(':');
  const env: Record<string, string> = {
    PATH: path,
    LANG: from['LANG'] || 'C.UTF-8',
    HOME: options.jobDir,
    TMPDIR: options.jobDir,
    ...(from['LC_ALL'] ? { LC_ALL: from['LC_ALL'] } : {}),
    ...options.extra,
  };
  env['ST2_ACTION_PACK_NAME'] = options.pack;
  env['ST2_ACTION_EXECUTION_ID'] = options.executionId;
  env['PACKRUN_PACK'] = options.pack;
  env['PACKRUN_EXECUTION_ID'] = options.executionId;
  return env;
}

// The API's address and the job's token too: a given ST2_ACTION_API_URL would send the token wherever the giver likes.
const identityVariables = ['ST2_ACTION_PACK_NAME', 'ST2_ACTION_EXECUTION_ID', 'PACKRUN_PACK', 'PACKRUN_EXECUTION_ID', ...actionApiVariableNames];

/**
 * A job's whole environment: the runtime's variables (buildChildEnv), the given ones (an action's
 * `env` parameter) over them, and the job's identity over both, so a given `env` cannot pretend
 * to be another pack or execution.
 */
export function withGivenEnv(base: Record<string, string>, given: Record<string, string> | undefined): Record<string, string> {
  if (given === undefined) return base;
  const env = { ...base, ...given };
  for (const name of identityVariables) if (base[name] !== undefined) env[name] = base[name];
  return env;
}
