import { configFields, type PackrunConfig } from '../config.ts';

/**
 * The last check on a job's environment before it is spawned. The launcher already builds it from
 * an allow-list; this removes anything that still names or carries one of the runtime's secrets
 * (an action's `env` parameter or a runner bug could put one there), so no secret config value can
 * reach pack code through its environment whatever the caller did.
 */
const secretNamePattern = /^PACKRUN_|(^|_)(API_?KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIALS?)(_|$)/i;
// The job's own ids, and the token the runtime minted for this very job (pack-code-tokens.ts): its
// value is still checked against the runtime's secrets like any other.
const allowedNames = new Set(['PACKRUN_PACK', 'PACKRUN_EXECUTION_ID', 'ST2_ACTION_AUTH_TOKEN', 'ST2_AUTH_TOKEN']);

export function runtimeSecrets(config: PackrunConfig): string[] {
  return configFields
    .filter((field) => field.secret)
    .map((field) => config[field.key as keyof PackrunConfig])
    .filter((value): value is string => typeof value === 'string' && value.length >= 4);
}

/**
 * The environment a sandboxed job gets: runtime secrets scrubbed, and with a uid of its own a
 * user name that matches no real account.
 */
export function sandboxedJobEnv(env: Record<string, string>, secrets: string[], ownUid: boolean): { env: Record<string, string>; removed: string[] } {
  const scrubbed = scrubEnvironment(env, secrets);
  if (ownUid) scrubbed.env['USER'] = scrubbed.env['LOGNAME'] = 'packrun';
  return scrubbed;
}

export function scrubEnvironment(env: Record<string, string>, secrets: string[]): { env: Record<string, string>; removed: string[] } {
  const kept: Record<string, string> = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const secretName = secretNamePattern.test(name) && !allowedNames.has(name);
    const carriesSecret = secrets.some((secret) => value.includes(secret));
    if (secretName || carriesSecret) removed.push(name);
    else kept[name] = value;
  }
  return { env: kept, removed };
}
