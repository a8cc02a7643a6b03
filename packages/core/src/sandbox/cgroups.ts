import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * One cgroup per job: memory, pids and CPU limits, the out-of-memory and pids-limit counters read
 * after the job, and a kill that reaches every process of the job however it forked or detached.
 * Job cgroups nest under the runtime's own cgroup, so whatever limits the host puts on Packrun
 * still hold for its jobs. Processes join by writing their pid into `cgroup.procs` (see
 * launch-prefix.ts) and their children inherit it.
 */
export type CgroupHost =
  | { version: 1; memory: string; pids: string; cpu: string; freezer: string | undefined; memsw: boolean }
  | { version: 2; base: string };

export interface CgroupLimits {
  memoryMb: number;
  pids: number;
  cpu: number;
}

export interface CgroupStats {
  oomKilled: boolean;
  pidsLimitHit: boolean;
}

interface Mount {
  point: string;
  root: string;
  fstype: string;
  options: string[];
}

async function readMounts(): Promise<Mount[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const fields = left.split(' ');
      const [fstype = '', , superOptions = ''] = right.split(' ');
      return { root: fields[3] ?? '/', point: fields[4] ?? '', fstype, options: superOptions.split(',') };
    });
}

/** Our own cgroup path per v1 controller, and the v2 path under key ''. */
async function ownCgroups(): Promise<Map<string, string>> {
  const own = new Map<string, string>();
  for (const line of (await readFile('/proc/self/cgroup', 'utf8')).split('\n').filter(Boolean)) {
    const [, controllers = '', ...rest] = line.split(':');
    const cgroupPath = rest.join(':');
    if (controllers === '') own.set('', cgroupPath);
    for (const controller of controllers.split(',')) if (controller) own.set(controller, cgroupPath);
  }
  return own;
}

function join(mount: Mount, cgroupPath: string): string {
  const relative = mount.root !== '/' && cgroupPath.startsWith(mount.root) ? cgroupPath.slice(mount.root.length) : cgroupPath;
  return path.join(mount.point, relative, 'packrun');
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function findV1(mounts: Mount[], own: Map<string, string>): Promise<CgroupHost | string> {
  const bases: Record<string, string> = {};
  for (const controller of ['memory', 'pids', 'cpu', 'freezer']) {
    const mount = mounts.find((m) => m.fstype === 'cgroup' && m.options.includes(controller));
    const ownPath = own.get(controller);
    if (mount && ownPath !== undefined) bases[controller] = join(mount, ownPath);
  }
  const missing = ['memory', 'pids', 'cpu'].filter((controller) => bases[controller] === undefined);
  if (missing.length > 0) return `cgroup v1 without the ${missing.join(', ')} controller`;
  const memory = bases['memory'] as string;
  return {
    version: 1,
    memory,
    pids: bases['pids'] as string,
    cpu: bases['cpu'] as string,
    freezer: bases['freezer'],
    memsw: await exists(path.join(path.dirname(memory), 'memory.memsw.limit_in_bytes')),
  };
}

async function findV2(mounts: Mount[], own: Map<string, string>): Promise<CgroupHost | string> {
  const mount = mounts.find((m) => m.fstype === 'cgroup2');
  const ownPath = own.get('');
  if (!mount || ownPath === undefined) return 'no cgroup v2 mount';
  const parent = path.dirname(join(mount, ownPath));
  const available = (await readFile(path.join(parent, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  const missing = ['memory', 'pids', 'cpu'].filter((controller) => !available.includes(controller));
  if (missing.length > 0) return `cgroup v2 at ${mount.point} offers no ${missing.join(', ')} controller to ${parent}`;
  return { version: 2, base: join(mount, ownPath) };
}

/**
 * Finds the cgroup hierarchy jobs can use and proves it by creating, limiting and removing a probe
 * job cgroup. Returns the host, or the reason there is none.
 */
export async function probeCgroupHost(): Promise<{ host: CgroupHost } | { reason: string }> {
  if (process.getuid?.() !== 0) return { reason: 'the runtime is not root, so it cannot create cgroups' };
  let mounts: Mount[];
  let own: Map<string, string>;
  try {
    [mounts, own] = await Promise.all([readMounts(), ownCgroups()]);
  } catch (error) {
    return { reason: `cannot read /proc/self/cgroup or mountinfo: ${(error as Error).message}` };
  }
  const v2 = await findV2(mounts, own);
  const v1 = typeof v2 === 'string' ? await findV1(mounts, own) : v2;
  if (typeof v1 === 'string') return { reason: typeof v2 === 'string' ? `${v2}; ${v1}` : v1 };
  try {
    const probe = await createJobCgroup(v1, 'probe', { memoryMb: 64, pids: 16, cpu: 0.5 });
    await probe.remove();
  } catch (error) {
    return { reason: `cannot create a job cgroup: ${(error as Error).message}` };
  }
  await sweepStaleJobCgroups(v1);
  return { host: v1 };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Job cgroups left by a runtime that died (their names carry its pid): whatever still runs in
 * them is killed and the folders removed. Those of live runtimes, this one included, are left be.
 */
async function sweepStaleJobCgroups(host: CgroupHost): Promise<void> {
  const bases = host.version === 1 ? [host.memory, host.pids, host.cpu, ...(host.freezer ? [host.freezer] : [])] : [host.base];
  for (const base of bases) {
    const names = await readdir(base).catch(() => [] as string[]);
    for (const name of names) {
      const owner = /-(\d+)-[0-9a-f]{8}$/.exec(name)?.[1];
      if (owner === undefined || Number(owner) === process.pid || alive(Number(owner))) continue;
      const dir = path.join(base, name);
      await untilEmpty(path.join(dir, 'cgroup.procs'), killPids).catch(() => undefined);
      await removeWithRetry(dir).catch(() => undefined);
    }
  }
}

export interface JobCgroup {
  /** The `cgroup.procs` files a job process writes its pid into to join. */
  readonly procsFiles: string[];
  /** Pids of every process in the job now. */
  pids(): Promise<number[]>;
  /** The same, read synchronously (one small file). */
  pidsNow(): number[];
  /** What the cgroup saw (out of memory, the pids limit hit): two small files, read synchronously. */
  stats(): CgroupStats;
  /** SIGKILLs every process in the job and waits until none is left. */
  killAll(): Promise<void>;
  /** Removes the job's cgroup directories, retrying while the kernel still reports them busy. */
  remove(): Promise<void>;
}

/**
 * One synchronous read, as readPidsNow: an execution's outcome waits for its counters, and a trip
 * through the thread pool (open, read, close) costs the event loop far more on a busy machine than
 * the kernel takes to print a counter file, which never waits on a lock.
 */
function readCounter(file: string, key: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '';
  }
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function readPids(procsFile: string): Promise<number[]> {
  const text = await readFile(procsFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/**
 * Sets a limit of a cgroup just made, synchronously. The kernel applies a limit in microseconds
 * without the hierarchy's lock (mkdir, rmdir, subtree_control and a move into cgroup.procs take
 * it, and a move can wait for an RCU grace period: those stay on the thread pool), while
 * fs/promises' open, write and close through the thread pool took 70-95 us of CPU each here
 * against 7-13 us (docs/fast-spawn.md, "What bounds the figures"). Four or five per execution.
 */
function setLimit(file: string, value: string): void {
  writeFileSync(file, value);
}

function readPidsNow(procsFile: string): number[] {
  try {
    return readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone between the read and the kill.
    }
  }
}

async function untilEmpty(procsFile: string, onEachRound: (pids: number[]) => void): Promise<void> {
  for (let round = 0; round < 500; round++) {
    const pids = await readPids(procsFile);
    if (pids.length === 0) return;
    onEachRound(pids);
    await delay(Math.min(2 + round, 20));
  }
  throw new Error(`processes still running in ${procsFile} after repeated SIGKILL`);
}

async function removeWithRetry(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // The kernel keeps a cgroup busy for a moment after its last process is reaped.
      if (code !== 'EBUSY' || attempt >= 100) throw error;
      await delay(10);
    }
  }
}

function uniqueName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Removes a finished job's (or zygote's) cgroup. One that still holds processes (a kill that
 * failed or never ran) is emptied first; one that cannot be removed is logged and left for the
 * next start-up's sweep, never thrown: the job's outcome does not depend on it.
 */
export async function removeCgroup(cgroup: JobCgroup, onLeftBehind: (error: unknown) => void): Promise<void> {
  await cgroup
    .remove()
    .catch(async () => {
      await cgroup.killAll();
      await cgroup.remove();
    })
    .catch(onLeftBehind);
}

export async function createJobCgroup(host: CgroupHost, name: string, limits: CgroupLimits): Promise<JobCgroup> {
  const leaf = uniqueName(name);
  return host.version === 1 ? createV1(host, leaf, limits) : createV2(host, leaf, limits);
}

async function createV1(host: Extract<CgroupHost, { version: 1 }>, leaf: string, limits: CgroupLimits): Promise<JobCgroup> {
  const memory = path.join(host.memory, leaf);
  const pids = path.join(host.pids, leaf);
  const cpu = path.join(host.cpu, leaf);
  const freezer = host.freezer === undefined ? undefined : path.join(host.freezer, leaf);
  const dirs = [memory, pids, cpu, ...(freezer ? [freezer] : [])];
  const cgroup: JobCgroup = {
    procsFiles: dirs.map((dir) => path.join(dir, 'cgroup.procs')),
    pids: () => readPids(path.join(memory, 'cgroup.procs')),
    pidsNow: () => readPidsNow(path.join(memory, 'cgroup.procs')),
    stats() {
      return {
        oomKilled: readCounter(path.join(memory, 'memory.oom_control'), 'oom_kill') > 0,
        pidsLimitHit: readCounter(path.join(pids, 'pids.events'), 'max') > 0,
      };
    },
    async killAll() {
      const procs = path.join(memory, 'cgroup.procs');
      if (freezer) {
        // Frozen processes cannot fork, so one pass of SIGKILL reaches the whole tree.
        const state = path.join(freezer, 'freezer.state');
        await writeFile(state, 'FROZEN');
        for (let i = 0; i < 100 && (await readFile(state, 'utf8')).trim() !== 'FROZEN'; i++) await delay(5);
        killPids(await readPids(procs));
        await writeFile(state, 'THAWED');
      }
      await untilEmpty(procs, killPids);
    },
    async remove() {
      for (const dir of dirs) await removeWithRetry(dir);
    },
  };
  try {
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    const bytes = String(limits.memoryMb * 1024 * 1024);
    setLimit(path.join(memory, 'memory.limit_in_bytes'), bytes);
    // Memory plus swap at the same value: a job cannot dodge its limit by swapping.
    if (host.memsw) setLimit(path.join(memory, 'memory.memsw.limit_in_bytes'), bytes);
    setLimit(path.join(pids, 'pids.max'), String(limits.pids));
    setLimit(path.join(cpu, 'cpu.cfs_period_us'), '100000');
    setLimit(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpu * 100000))));
  } catch (error) {
    await cgroup.remove().catch(() => undefined);
    throw error;
  }
  return cgroup;
}

async function createV2(host: Extract<CgroupHost, { version: 2 }>, leaf: string, limits: CgroupLimits): Promise<JobCgroup> {
  await mkdir(host.base, { recursive: true });
  // Controllers must be enabled in every ancestor's subtree_control for the leaf to get them.
  await writeFile(path.join(path.dirname(host.base), 'cgroup.subtree_control'), '+memory +pids +cpu');
  await writeFile(path.join(host.base, 'cgroup.subtree_control'), '+memory +pids +cpu');
  const dir = path.join(host.base, leaf);
  const cgroup: JobCgroup = {
    procsFiles: [path.join(dir, 'cgroup.procs')],
    pids: () => readPids(path.join(dir, 'cgroup.procs')),
    pidsNow: () => readPidsNow(path.join(dir, 'cgroup.procs')),
    stats() {
      return {
        oomKilled: readCounter(path.join(dir, 'memory.events'), 'oom_kill') > 0,
        pidsLimitHit: readCounter(path.join(dir, 'pids.events'), 'max') > 0,
      };
    },
    async killAll() {
      await writeFile(path.join(dir, 'cgroup.kill'), '1');
      await untilEmpty(path.join(dir, 'cgroup.procs'), () => undefined);
    },
    async remove() {
      await removeWithRetry(dir);
    },
  };
  try {
    await mkdir(dir);
    setLimit(path.join(dir, 'memory.max'), String(limits.memoryMb * 1024 * 1024));
    try {
      setLimit(path.join(dir, 'memory.swap.max'), '0');
    } catch {
      // No swap accounting on this host: there is no swap to dodge the memory limit with.
    }
    setLimit(path.join(dir, 'pids.max'), String(limits.pids));
    setLimit(path.join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpu * 100000))} 100000`);
  } catch (error) {
    await cgroup.remove().catch(() => undefined);
    throw error;
  }
  return cgroup;
}
