/**
 * Turns a job's command into the command Packrun actually spawns: a tiny /bin/sh prelude that joins
 * the job's cgroups and sets its rlimits (both inherited by everything it starts, and cheaper than
 * a separate `prlimit` exec), then nsenter into the job's network namespace when it has one, then
 * bubblewrap when active, then setpriv to drop to the sandbox uid, then the job's own command. Each
 * part is optional so the same code serves every fallback.
 */
export interface RlimitValues {
  openFiles: number;
  /** 'unlimited' for env builds, whose wheels and tarballs may be larger than any job's file. */
  fileSizeMb: number | 'unlimited';
  /** 'unlimited' for long-running jobs (sensors), which have no timeout to back up. */
  cpuSeconds: number | 'unlimited';
  /** RLIMIT_NPROC: counts every process of the uid, so it only helps when the uid is not root. */
  processes: number | undefined;
}

export interface LaunchLayers {
  cgroupProcsFiles: string[];
  rlimits: RlimitValues | undefined;
  /** Path of the seccomp program, opened on fd 9 for bubblewrap. */
  seccompFile: string | undefined;
  /** The job's own network namespace (a job with network under the network layer); bubblewrap then keeps it. */
  netns?: { nsenter: string; path: string };
  bwrap: { binary: string; args: string[] } | undefined;
  /**
   * `keepCaps`: capabilities kept across the switch as ambient ones (a warm zygote's CAP_SETUID...);
   * none otherwise. `groups`: supplementary groups the job keeps (its pack's group, for writable
   * host paths); none otherwise.
   */
  setpriv: { binary: string; uid: number; gid: number; keepCaps?: string[]; groups?: number[] } | undefined;
  /** File mode creation mask of the job, as octal digits (`002`: what it creates its group may write); inherited when absent. */
  umask?: string;
}

export const seccompFd = 9;

// $1: number of cgroup.procs files, then the files, then nofile, fsize (512-byte blocks), cpu
// seconds, nproc ('' for none), seccomp file ('' for none), umask ('' to inherit), then the command. `exec` keeps the
// pid, so the process that joined the cgroups is the one that becomes the job.
const prelude = [
  'n=$1; shift',
  'while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done',
  'if [ "$1" != - ]; then ulimit -n "$1" && ulimit -c 0 && ulimit -f "$2" && ulimit -t "$3" || exit 125; fi',
  'if [ -n "$4" ]; then ulimit -p "$4" || exit 125; fi',
  'seccomp=$5; if [ -n "$6" ]; then umask "$6" || exit 125; fi; shift 6',
  `if [ -n "$seccomp" ]; then exec "$@" ${seccompFd}<"$seccomp"; fi`,
  'exec "$@"',
].join('\n');

export function launchCommand(layers: LaunchLayers, command: string, args: string[]): { command: string; args: string[] } {
  const inner: string[] = [];
  if (layers.netns) inner.push(layers.netns.nsenter, `--net=${layers.netns.path}`, '--');
  if (layers.bwrap) inner.push(layers.bwrap.binary, ...layers.bwrap.args, '--');
  if (layers.setpriv) {
    const { binary, uid, gid, keepCaps = [], groups = [] } = layers.setpriv;
    const caps = ['-all', ...keepCaps.map((cap) => `+${cap}`)].join(',');
    const ambient = keepCaps.length > 0 ? [`--ambient-caps=${caps}`] : [];
    inner.push(binary, `--reuid=${uid}`, `--regid=${gid}`, groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups', '--no-new-privs', `--inh-caps=${caps}`, ...ambient, `--bounding-set=${caps}`, '--');
  }
  inner.push(command, ...args);
  const limits = layers.rlimits;
  const rlimitArgs = limits
    ? [String(limits.openFiles), limits.fileSizeMb === 'unlimited' ? 'unlimited' : String(limits.fileSizeMb * 2048), String(limits.cpuSeconds), limits.processes === undefined ? '' : String(limits.processes)]
    : ['-', '', '', ''];
  return {
    command: '/bin/sh',
    args: ['-c', prelude, 'packrun-sandbox', String(layers.cgroupProcsFiles.length), ...layers.cgroupProcsFiles, ...rlimitArgs, layers.seccompFile ?? '', layers.umask ?? '', ...inner],
  };
}
