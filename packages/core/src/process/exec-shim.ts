/**
 * How a shell action (local-shell-cmd, local-shell-script) gets its environment after the sandbox
 * boundary: it has no wrapper to apply one, so a /bin/sh "shim" runs as the job (its uid,
 * cgroup, namespaces) started with the runtime's own variables only. It reads a short script
 * from fd 3, up to a line holding the token it was started with, closes fd 3 and evaluates it.
 * The script enters the job's folder, leaves exactly the job's environment (everything the shim
 * started with unset, the job's variables exported) and `exec`s the job's command: from then on
 * the process is the action's, with the pid, process group, cgroup and sandbox the shim was
 * started in, and nothing of Packrun left in it. A cold start (launchJob) uses it for a job whose
 * `env` parameter gives variables; a shim started ahead (the action runner's warm path) for every
 * shell job. The script is made here and only here; every value in it is quoted.
 */

/** The shim's own program: `sh -c <program> packrun-exec-shim <token>`. */
export const execShimProgram = [
  "s=''",
  'while IFS= read -r l <&3; do',
  '  if [ "$l" = "$1" ]; then exec 3<&-; eval "$s"; exit 127; fi',
  '  s="$s$l',
  '"',
  'done',
].join('\n');

export const execShimArgs = ['-c', execShimProgram, 'packrun-exec-shim'];

/** dash reads a script one byte per read(2): a larger job does not wait in a shim started ahead. */
const maxScriptBytes = 16 * 1024;

const shellName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One shell word holding exactly `value`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface ExecShimJob {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Names in the shim's own environment, unset before the job's are exported. */
  startEnvNames: string[];
  token: string;
}

/**
 * Whether a job can go through a shim: a variable whose name is not a shell name cannot be
 * exported by a shell (a cold start passes it on), and a script much larger than a few kilobytes
 * would be slow to read.
 */
export function fitsExecShim(job: Pick<ExecShimJob, 'argv' | 'env' | 'cwd'>): boolean {
  if (!Object.keys(job.env).every((name) => shellName.test(name))) return false;
  const values = [...job.argv, job.cwd, ...Object.entries(job.env).flat()];
  return values.reduce((sum, value) => sum + Buffer.byteLength(value) + 16, 0) <= maxScriptBytes;
}

/** The script for the shim: enter the folder, leave exactly the job's environment, exec the job. */
export function execShimScript(job: ExecShimJob): Buffer {
  const lines = [
    `cd -- ${shellQuote(job.cwd)} || exit 2`,
    // dash itself exports PWD, and OLDPWD after a cd: a cold start's environment has neither.
    `unset PWD OLDPWD ${job.startEnvNames.filter((name) => shellName.test(name)).join(' ')}`,
    ...Object.entries(job.env).map(([name, value]) => `export ${shellQuote(`${name}=${value}`)}`),
    `exec ${job.argv.map(shellQuote).join(' ')}`,
    job.token,
    '',
  ];
  return Buffer.from(lines.join('\n'), 'utf8');
}
