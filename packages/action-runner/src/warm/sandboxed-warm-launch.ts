import { encodeJobFrames, PackrunError, signalGroup, type JobExit, type LaunchSpec, type WarmChild } from '@packrun/core';
import { superviseJob } from './job-supervisor.ts';
import { JobStreamListener } from './job-streams.ts';
import { relocateEnv } from './relocate-env.ts';
import type { ZygoteProcess } from './zygote-process.ts';

/** Every job folder of the zygote is in use: this execution starts cold instead. */
export class NoFreeSlot extends Error {}

/**
 * A job forked from a zygote that runs inside the sandbox. Before the child runs any of the
 * action's code it has dropped to the execution's uid with no capabilities and no_new_privs, set
 * the execution's rlimits and entered a job folder of its own (a capped tmpfs); the runtime moves
 * it into the execution's cgroup before it sends the job frame, which is what the wrapper waits
 * for. From there it is supervised like any job, and after it the sandbox reports out of memory
 * or the pids limit as a cold job's does.
 */
export async function launchSandboxedWarmJob(spec: LaunchSpec, zygote: ZygoteProcess): Promise<JobExit> {
  const startedAt = Date.now();
  const sandbox = zygote.sandbox;
  const zygoteHostPid = zygote.hostPid;
  if (!sandbox || zygoteHostPid === undefined) throw new Error('the zygote is not sandboxed');
  const frames = encodeJobFrames(spec.initialMessages ?? [], spec.context);
  const slot = zygote.takeSlot();
  if (slot === undefined) throw new NoFreeSlot(`every job folder of the zygote of pack "${spec.context.pack}" is in use`);
  let child: WarmChild;
  try {
    child = await sandbox.prepareChild({ context: spec.context, env: relocateEnv(spec.env, spec.cwd, slot), slot, zygoteHostPid });
  } catch (error) {
    zygote.returnSlot(slot, true);
    throw error;
  }
  // Once per execution, on whichever path ends it: the slot goes back once it was emptied.
  const finish = async (): Promise<Awaited<ReturnType<WarmChild['afterExit']>>> => {
    await child.killAll().catch((error: unknown) => spec.logger?.error({ err: error }, 'sandbox could not kill what the job left behind'));
    const report = await child.afterExit();
    void report.swept.then((emptied) => zygote.returnSlot(slot, emptied));
    return report;
  };

  let listener: JobStreamListener;
  let forked: Awaited<ReturnType<ZygoteProcess['fork']>>;
  try {
    listener = await JobStreamListener.open(sandbox.socketDir);
    forked = await zygote
      .fork({ socket: listener.address, token: listener.token, cwd: slot, env: child.env, rlimits: toForkRlimits(child.rlimits), drop: { uid: child.uid, gid: child.uid } })
      .catch((error: unknown) => {
        listener.abandon(error as Error);
        throw error;
      });
  } catch (error) {
    await finish();
    throw error;
  }
  void forked.exited.then(() => listener.abandon(new Error('the forked child exited before it connected its streams')));

  // The zygote remembers it once found.
  const hostPidOf = (): number | undefined => zygote.childHostPid(forked.pid);
  // Into the execution's cgroup while it connects its streams, and before the job frame: the child
  // runs nothing of the action before that frame.
  const joining = (async (): Promise<void> => {
    const found = hostPidOf();
    if (found === undefined) throw new Error(`host pid of zygote child ${forked.pid} not found`);
    await child.join(found);
  })().then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const [sockets, joinError] = await Promise.all([listener.connected.catch(() => undefined), joining]);
  if (joinError) {
    const found = hostPidOf();
    if (found !== undefined) signalGroup(found, 'SIGKILL');
    for (const socket of sockets ? [sockets.stdout, sockets.stderr, sockets.control] : []) socket.destroy();
    listener.abandon(joinError);
    await forked.exited;
    await finish();
    throw new PackrunError('SANDBOX_SETUP_FAILED', `cannot move the forked child of pack "${spec.context.pack}" into its cgroup: ${joinError.message}`, {
      details: { pack: spec.context.pack, execution: spec.context.executionId },
      userError: false,
      cause: joinError,
    });
  }
  const exit = await superviseJob(
    spec,
    {
      pid: hostPidOf() ?? forked.pid,
      exited: forked.exited,
      streams: Promise.resolve(sockets),
      signal: (signal) => {
        const found = hostPidOf();
        if (found !== undefined) signalGroup(found, signal);
      },
      killAll: () => child.killAll(),
    },
    frames,
    startedAt,
  );
  const report = await finish();
  if (report.oomKilled) exit.stopReason = 'out_of_memory';
  else if (report.pidsLimitHit) exit.stopReason ??= 'pids_limit';
  return exit;
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
