import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const runFile = promisify(execFile);

/** System V IPC objects by id, as /proc/sysvipc lists them inside a zygote's IPC namespace. */
export interface SysvIpcIds {
  shm: number[];
  sem: number[];
  msg: number[];
}

/**
 * What every child of a zygote reaches, because they share its mount and IPC namespaces: its
 * /tmp, its /dev/shm (POSIX shared memory and semaphores), its POSIX message queues (mounted at
 * /dev/mqueue) and its System V IPC objects. A child's uid is its own, so what it left there is
 * what its uid owns at the top of those folders, and the System V objects its uid created or owns.
 */
const sharedFolders = ['/tmp', '/dev/shm', '/dev/mqueue'];

const ipcrm = ['/usr/bin/ipcrm', '/bin/ipcrm'].find((file) => existsSync(file)) ?? 'ipcrm';

/** PF_EXITING in a task's flags (field 9 of its stat): it is inside exit and makes no system call any more. */
const exitingFlag = 0x4;

function taskStopped(pid: number, tid: string): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // Fields are counted after the command name's last ')': state, ppid, pgrp, session, tty, tpgid, flags.
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[6]) & exitingFlag) !== 0;
}

/** True once no thread of `pids` can make another system call: each is exiting, a zombie or gone. */
function everyTaskStopped(pids: number[]): boolean {
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    if (!tids.every((tid) => taskStopped(pid, tid))) return false;
  }
  return true;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let round = 0; !(await check()); round++) {
    if (Date.now() > deadline) throw new Error(`${what} within 10 s`);
    await delay(Math.min(1 + round, 10));
  }
}

export interface SharedLeftoversSpec {
  nsenter: string;
  zygoteHostPid: number;
  uid: number;
  /** The job's processes on the host (its cgroup's, or its uid's), already sent SIGKILL. */
  jobPids(): number[] | Promise<number[]>;
  /** The System V objects `uid` created or owns, as the zygote (inside the namespace) lists them. */
  listSysvIpc(uid: number): Promise<SysvIpcIds>;
}

interface Leftovers {
  files: string[];
  sysv: SysvIpcIds;
}

async function ownedAtTop(root: string, folder: string, uid: number): Promise<string[]> {
  const owned: string[] = [];
  for (const name of await readdir(`${root}${folder}`).catch(() => [])) {
    const stat = await lstat(`${root}${folder}/${name}`).catch(() => undefined);
    if (stat?.uid === uid) owned.push(path.posix.join(folder, name));
  }
  return owned;
}

async function findLeftovers(spec: SharedLeftoversSpec): Promise<Leftovers | undefined> {
  const root = `/proc/${spec.zygoteHostPid}/root`;
  const [files, sysv] = await Promise.all([
    Promise.all(sharedFolders.map((folder) => ownedAtTop(root, folder, spec.uid))).then((found) => found.flat()),
    spec.listSysvIpc(spec.uid),
  ]);
  return files.length + sysv.shm.length + sysv.sem.length + sysv.msg.length > 0 ? { files, sysv } : undefined;
}

/**
 * Removes what a finished zygote child left where the zygote's other children, the next ones
 * included, would see it. Waits first until none of the job's threads can still make a system call
 * (each is exiting or gone), so nothing can appear after the look. Nothing found is the usual case
 * and costs a few directory reads and one round trip to the zygote. Otherwise the job's processes
 * must be gone entirely (a System V segment still attached by an exiting process outlives its
 * removal until then), the leftovers are removed as root inside the zygote's namespaces (`nsenter`,
 * never walking its files from the host, where a planted absolute symlink would resolve against the
 * host's tree), and looked for again: throws when anything is still there.
 */
export async function removeSharedLeftovers(spec: SharedLeftoversSpec): Promise<void> {
  await until(async () => everyTaskStopped(await spec.jobPids()), 'the job still runs threads after its kill');
  let found: Leftovers | undefined;
  try {
    found = await findLeftovers(spec);
  } catch (error) {
    // The zygote is gone, and its namespaces with it: nothing is left to remove.
    if (!existsSync(`/proc/${spec.zygoteHostPid}`)) return;
    throw error;
  }
  if (!found) return;
  await until(async () => (await spec.jobPids()).length === 0, 'the job processes are not gone');
  const target = `--target=${spec.zygoteHostPid}`;
  if (found.files.length > 0) {
    await runFile(spec.nsenter, [target, '--mount', '--', '/bin/rm', '-rf', '--one-file-system', '--', ...found.files], { timeout: 60_000, env: { PATH: '/usr/bin:/bin' } });
  }
  const { shm, sem, msg } = found.sysv;
  const ids = [...shm.flatMap((id) => ['-m', String(id)]), ...sem.flatMap((id) => ['-s', String(id)]), ...msg.flatMap((id) => ['-q', String(id)])];
  // An id removed meanwhile makes ipcrm fail: what counts is the look that follows.
  if (ids.length > 0) await runFile(spec.nsenter, [target, '--ipc', '--', ipcrm, ...ids], { timeout: 60_000, env: { PATH: '/usr/bin:/bin' } }).catch(() => undefined);
  const left = await findLeftovers(spec);
  if (left) throw new Error(`uid ${spec.uid} left ${JSON.stringify(left)} in its zygote that could not be removed`);
}
