import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackrunError, signalGroup, type SpawnContext, type WarmChild } from '@packrun/core';
import { ensureJobsFolder, removeInBackground } from './job-folder.ts';
import type { JobSockets } from './job-streams.ts';
import type { ChildExit, ZygoteProcess } from './zygote-process.ts';

/** Every job folder of the zygote is in use: this execution starts cold instead. */
export class NoFreeSlot extends Error {}

/**
 * What a forked child is prepared for before its execution is known. Unsandboxed, any execution
 * of the zygote's pack fits; sandboxed, the child has already dropped to a job uid, set the
 * rlimits and joined a cgroup made for these limits, so only an execution with the same limits can
 * take it.
 */
export interface ChildShape {
  /** Equal for executions a child prepared for one can run. */
  key: string;
  /** Unsandboxed: the jobs/ folder its own job folder is made in. */
  jobsDir?: string;
  /** Sandboxed: the executions' kind, pack and limits. */
  sandbox?: Pick<SpawnContext, 'kind' | 'pack' | 'limits'>;
}

export function childShape(zygote: ZygoteProcess, context: SpawnContext): ChildShape {
  if (!zygote.sandbox) {
    const jobsDir = path.dirname(context.jobDir);
    return { key: JSON.stringify(['unsandboxed', jobsDir]), jobsDir };
  }
  const sandbox = { kind: context.kind, pack: context.pack, ...(context.limits ? { limits: context.limits } : {}) };
  return { key: JSON.stringify([context.kind, context.pack, context.limits ?? null]), sandbox };
}

/**
 * A child forked from a zygote that connected its three streams and waits for its execution's
 * `start` frame. Sandboxed, it already runs as its job uid, in its cgroup and job folder.
 */
export interface WaitingChild {
  shape: string;
  /** On the host (the zygote's namespace has its own pids when sandboxed): for signals and cgroups. */
  hostPid: number;
  exited: Promise<ChildExit>;
  /** Set once it ended: a child that died waiting is never handed an execution. */
  ended: boolean;
  sockets: JobSockets;
  /** Its job folder (HOME, TMPDIR, working folder), as the child sees it. */
  folder: string;
  sandboxed?: { child: WarmChild; slot: string };
  /**
   * Its execution just ended (the child exited or said it is exiting): sandboxed, no other child
   * of the zygote gets its execution from now until what this one left is removed (in `finish`).
   */
  jobEnded(): void;
  /** Once, after it ended: the sandbox's report (out of memory, pids limit); its job folder is returned once emptied. */
  finish(): Promise<{ oomKilled: boolean; pidsLimitHit: boolean }>;
}

/** The sandbox's rlimit values as the zygote's fork request names them (null: unlimited). */
function toForkRlimits(values: WarmChild['rlimits']): Record<'nofile' | 'fsize' | 'cpu' | 'nproc' | 'core', number | null> {
  return {
    nofile: values.openFiles,
    fsize: values.fileSizeMb === 'unlimited' ? null : values.fileSizeMb * 1024 * 1024,
    cpu: values.cpuSeconds === 'unlimited' ? null : values.cpuSeconds,
    nproc: values.processes ?? null,
    core: 0,
  };
}

type ForkedChild = Awaited<ReturnType<ZygoteProcess['fork']>>;

/**
 * Forks a child of `zygote` and waits until its streams are in (and, sandboxed, until it joined
 * its cgroup): from then on nothing is left between an execution and its job frame but the
 * `start` frame. `label` names its folder or cgroup: the execution's id, or `spare-…` for one
 * forked ahead, which also rehearses while it waits. Throws NoFreeSlot when a sandboxed zygote has
 * no job folder free.
 */
export async function forkWaitingChild(zygote: ZygoteProcess, shape: ChildShape, ahead: { label: string; rehearse: boolean }): Promise<WaitingChild> {
  if (shape.sandbox) return forkSandboxedChild(zygote, shape.sandbox, shape.key, ahead);
  if (!shape.jobsDir) throw new Error('an unsandboxed child needs a jobs folder');
  // The child makes it (off the runtime's event loop, and ahead of the execution for a spare) and
  // removes it at its end when it is left empty; what an action left in it is removed here, later.
  ensureJobsFolder(shape.jobsDir);
  const folder = path.join(shape.jobsDir, ahead.label);
  const removeFolder = (): Promise<void> => removeInBackground(folder);
  let forked: ForkedChild;
  try {
    forked = await zygote.fork({ rlimits: {}, cwd: folder, ownCwd: true, rehearse: ahead.rehearse });
  } catch (error) {
    await removeFolder();
    throw error;
  }
  let sockets: JobSockets;
  try {
    sockets = await forked.streams;
  } catch (error) {
    await forked.exited;
    await removeFolder();
    throw error;
  }
  let finished: ReturnType<WaitingChild['finish']> | undefined;
  const child: WaitingChild = {
    shape: shape.key,
    hostPid: forked.pid,
    exited: forked.exited,
    ended: false,
    sockets,
    folder,
    jobEnded: () => undefined,
    finish: () => {
      if (!finished) {
        // One synchronous lookup: a trip through the thread pool costs the event loop far more
        // on a busy machine, and the child has almost always removed its folder already.
        if (existsSync(folder)) void removeFolder();
        finished = Promise.resolve({ oomKilled: false, pidsLimitHit: false });
      }
      return finished;
    },
  };
  void forked.exited.then(() => (child.ended = true));
  return child;
}

async function forkSandboxedChild(zygote: ZygoteProcess, context: NonNullable<ChildShape['sandbox']>, key: string, ahead: { label: string; rehearse: boolean }): Promise<WaitingChild> {
  const sandbox = zygote.sandbox;
  const zygoteHostPid = zygote.hostPid;
  if (!sandbox || zygoteHostPid === undefined) throw new Error('the zygote is not sandboxed');
  const slot = zygote.takeSlot();
  if (slot === undefined) throw new NoFreeSlot(`every job folder of the zygote of pack "${context.pack}" is in use`);
  let prepared: WarmChild;
  try {
    prepared = await sandbox.prepareChild({ context, label: ahead.label, slot, zygoteHostPid, listSysvIpc: (uid) => zygote.listSysvIpc(uid) });
  } catch (error) {
    zygote.returnSlot(slot, true);
    throw error;
  }
  let finished: ReturnType<WaitingChild['finish']> | undefined;
  let groupLeader: number | undefined;
  // What it left where every child of the zygote reaches is removed before the next one gets its
  // execution: the zygote waits for this from the moment the job ended until `finish` removed it.
  let sharedRemoved: ((removed: Promise<boolean>) => void) | undefined;
  const jobEnded = (): void => {
    if (sharedRemoved) return;
    const removed = new Promise<boolean>((resolve) => {
      sharedRemoved = (done) => void done.then(resolve, () => resolve(false));
    });
    zygote.sweeping(removed);
  };
  // Once, on whichever path ends it: the slot goes back once it was emptied.
  const finish = (): ReturnType<WaitingChild['finish']> =>
    (finished ??= (async () => {
      jobEnded();
      const report = prepared.afterExit(groupLeader);
      sharedRemoved!(report.then((done) => done.shared));
      const { oomKilled, pidsLimitHit, swept } = await report;
      void swept.then((emptied) => zygote.returnSlot(slot, emptied));
      return { oomKilled, pidsLimitHit };
    })());

  let forked: ForkedChild;
  try {
    forked = await zygote.fork({
      cwd: slot,
      rlimits: toForkRlimits(prepared.rlimits),
      drop: { uid: prepared.uid, gid: prepared.uid },
      rehearse: ahead.rehearse,
    });
  } catch (error) {
    await finish();
    throw error;
  }

  // Into its cgroup while it connects its streams: it runs nothing of an action before its start frame.
  const hostPid = zygote.childHostPid(forked.pid);
  // It leads its own process group (setsid), which every path that ends it sends SIGKILL.
  groupLeader = hostPid;
  const joining = (async (): Promise<void> => {
    if (hostPid === undefined) throw new Error(`host pid of zygote child ${forked.pid} not found`);
    await prepared.join(hostPid);
  })().then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const [sockets, joinError] = await Promise.all([forked.streams.catch((error: unknown) => error as Error), joining]);
  if (sockets instanceof Error || joinError) {
    const reason = joinError ?? (sockets as Error);
    if (hostPid !== undefined) signalGroup(hostPid, 'SIGKILL');
    if (!(sockets instanceof Error)) for (const socket of [sockets.stdout, sockets.stderr, sockets.control]) socket.destroy();
    await forked.exited;
    await finish();
    throw new PackrunError('SANDBOX_SETUP_FAILED', `cannot prepare a forked child of pack "${context.pack}": ${reason.message}`, {
      details: { pack: context.pack },
      userError: false,
      cause: reason,
    });
  }
  const child: WaitingChild = {
    shape: key,
    hostPid: hostPid ?? forked.pid,
    exited: forked.exited,
    ended: false,
    sockets,
    folder: slot,
    sandboxed: { child: prepared, slot },
    jobEnded,
    finish,
  };
  void forked.exited.then(() => (child.ended = true));
  return child;
}

/** Ends a child that will run no execution: killed with its group, its streams closed, its sandbox released. */
export async function discardWaitingChild(child: WaitingChild): Promise<void> {
  signalGroup(child.hostPid, 'SIGKILL');
  for (const socket of [child.sockets.stdout, child.sockets.stderr, child.sockets.control]) socket.destroy();
  await child.exited;
  await child.finish();
}
