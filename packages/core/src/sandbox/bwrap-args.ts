import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * The bubblewrap command line for one job. bubblewrap runs as root without a user namespace (so
 * the job ends up as a real non-root uid on the host, not a root uid mapped inside a namespace) and
 * keeps only the capabilities it and setpriv need to switch to that uid; setpriv then drops them all.
 * Host paths are bound at the same place inside, so the command, its arguments and the working
 * folder need no rewriting. Everything not bound is simply absent: the runtime's data folder,
 * configs, secrets, other packs, /root, /home, /var, /run and the host's /tmp.
 */
export interface BwrapMounts {
  /** Pack dir, its env, the interpreter's installation, Packrun's wrapper runtimes. */
  readOnly: string[];
  /** Job folders: the only writable places besides the private /tmp. Each is a fresh tmpfs of
   * `scratchMb` inside the sandbox, so filling it costs the job's memory, never the host's disk;
   * nothing written there outlives the job. */
  scratch: string[];
  scratchMb: number;
  /** Host folders bound read-write in place (an env build's output and cache), kept after the job. */
  writable?: string[];
  cwd: string;
  network: boolean;
  tmpMb: number;
  /** setpriv will switch uid inside: keep just the capabilities it needs for that. */
  switchesUser: boolean;
  /** Fd the seccomp program is readable on, or undefined for none. */
  seccompFd: number | undefined;
  /**
   * Mount the IPC namespace's POSIX message queues at /dev/mqueue: a zygote's, whose children
   * share it, so that the runtime can see and remove the queues each child leaves.
   */
  mqueue?: boolean;
}

/** System folders every job sees read-only; merged-/usr hosts have /bin, /lib... as symlinks. */
const systemFolders = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/etc'];

/** Host files under /etc that no pack needs and some attackers want: replaced by empty ones. */
const hiddenEtcFiles = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/sudoers', '/etc/machine-id'];
const hiddenEtcFolders = ['/etc/ssh', '/etc/sudoers.d', '/etc/ssl/private', '/etc/packrun'];

function systemBinds(): string[] {
  const args: string[] = [];
  for (const folder of systemFolders) {
    if (!existsSync(folder)) continue;
    const stat = lstatSync(folder);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(folder), folder);
    else args.push('--ro-bind', folder, folder);
  }
  for (const file of hiddenEtcFiles) if (existsSync(file)) args.push('--ro-bind', '/dev/null', file);
  for (const folder of hiddenEtcFolders) if (existsSync(folder)) args.push('--tmpfs', folder);
  return args;
}

function underSystemFolder(target: string): boolean {
  return systemFolders.some((folder) => target === folder || target.startsWith(`${folder}/`));
}

/**
 * bubblewrap creates missing parents of a bind with the mode of the host's folder, so binding
 * /root/.pyenv/versions/x would leave an unreadable /root (0700) above it. Traversable (0711)
 * parents are created first instead: their listing stays private, the bound path is reachable.
 */
function parentDirs(targets: string[]): string[] {
  const made = new Set<string>();
  const args: string[] = [];
  for (const target of targets) {
    const parents: string[] = [];
    for (let dir = path.dirname(target); dir !== '/' && dir !== '/tmp' && !underSystemFolder(dir); dir = path.dirname(dir)) parents.unshift(dir);
    for (const dir of parents) {
      if (made.has(dir) || targets.includes(dir)) continue;
      made.add(dir);
      args.push('--perms', '0711', '--dir', dir);
    }
  }
  return args;
}

/** Drops nested duplicates: binding /a and /a/b read-only is one bind of /a. */
function outermost(paths: string[]): string[] {
  const unique = [...new Set(paths.map((p) => path.resolve(p)))].sort();
  return unique.filter((p) => !unique.some((other) => other !== p && p.startsWith(`${other}/`)));
}

export function bwrapArgs(mounts: BwrapMounts): string[] {
  const readOnly = outermost(mounts.readOnly).filter((p) => !underSystemFolder(p) && existsSync(p));
  const scratch = outermost(mounts.scratch);
  const writable = outermost(mounts.writable ?? []);
  const args = [
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(mounts.network ? [] : ['--unshare-net']),
    '--hostname',
    'packrun',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    ...(mounts.switchesUser ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP'] : []),
    ...systemBinds(),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // POSIX shared memory and semaphores (shm_open, sem_open: Python's multiprocessing locks)
    // live in /dev/shm: a private, capped tmpfs like /tmp, gone with the sandbox.
    '--perms',
    '1777',
    '--size',
    String(mounts.tmpMb * 1024 * 1024),
    '--tmpfs',
    '/dev/shm',
    ...(mounts.mqueue ? ['--mqueue', '/dev/mqueue'] : []),
    '--perms',
    '1777',
    '--size',
    String(mounts.tmpMb * 1024 * 1024),
    '--tmpfs',
    '/tmp',
    ...parentDirs([...readOnly, ...scratch, ...writable]),
  ];
  for (const p of readOnly) args.push('--ro-bind', p, p);
  for (const p of writable) args.push('--bind', p, p);
  // After the read-only binds, so a job folder inside a read-only tree is still writable. Only the
  // job runs in this mount namespace, so a sticky world-writable mode gives nothing away.
  for (const p of scratch) args.push('--perms', '1777', '--size', String(mounts.scratchMb * 1024 * 1024), '--tmpfs', p);
  args.push('--chdir', mounts.cwd);
  if (mounts.seccompFd !== undefined) args.push('--seccomp', String(mounts.seccompFd));
  return args;
}
