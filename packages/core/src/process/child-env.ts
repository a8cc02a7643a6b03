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
  /** Variables the runner or the action itself asks for (NODE_PATH, an action's `env` parameter). */
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
  // Set last so an action's own `env` cannot pretend to be another pack or execution.
  env['ST2_ACTION_PACK_NAME'] = options.pack;
  env['ST2_ACTION_EXECUTION_ID'] = options.executionId;
  env['PACKRUN_PACK'] = options.pack;
  env['PACKRUN_EXECUTION_ID'] = options.executionId;
  return env;
}
