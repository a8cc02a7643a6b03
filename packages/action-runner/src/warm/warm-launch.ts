import { encodeFrame, encodeJobFrames, signalGroup, withGivenEnv, type JobExit, type LaunchSpec } from '@packrun/core';
import { superviseJob } from './job-supervisor.ts';
import { relocateEnv } from './relocate-env.ts';
import type { SpareChild } from './spare-child.ts';
import { childShape, discardWaitingChild, forkWaitingChild, type WaitingChild } from './waiting-child.ts';
import { ZygoteMessage, type StartFrame } from './zygote-protocol.ts';
import type { ZygoteProcess } from './zygote-process.ts';

/**
 * A job run by a child of the pack's zygote: the spare forked ahead for executions like this one
 * when there is one, else a child forked now. Either way the child has connected its streams
 * (and, sandboxed, dropped to its job uid, set its rlimits, joined its cgroup and entered its job
 * folder), and what finished executions left in the zygote is gone, before it gets anything of the
 * execution: the `start` frame with its environment, then the job frame. From there it is supervised like a cold job, and the sandbox reports out of
 * memory or the pids limit as for a cold job. Throws NoFreeSlot (nothing of the job ran) when a
 * sandboxed zygote has no job folder free.
 */
export async function launchWarmJob(spec: LaunchSpec, zygote: ZygoteProcess, spare: SpareChild): Promise<JobExit> {
  // Encoded before anything is taken, so a job too large for the channel fails without a child.
  const jobFrames = encodeJobFrames(spec.initialMessages ?? [], spec.context);
  const shape = childShape(zygote, spec.context);
  const startedAt = Date.now();
  let child: WaitingChild;
  spare.begin();
  try {
    // Forked for this execution, it has nothing to rehearse for: the real run follows at once.
    child = (await spare.take(shape)) ?? (await forkWaitingChild(zygote, shape, { label: spec.context.executionId, rehearse: false }));
  } catch (error) {
    spare.end(shape);
    throw error;
  }
  // Sandboxed, what earlier executions of this zygote left where all its children reach (/tmp,
  // /dev/shm, message queues, System V IPC) is removed before this one gets anything: its child
  // was forked while they could still have been there.
  if (!(await zygote.sharedSwept())) {
    spare.end(shape);
    await discardWaitingChild(child);
    throw new Error(`what an earlier execution of pack "${spec.context.pack}" left in its zygote could not be removed: the zygote is retired`);
  }
  // The child runs in its own job folder: HOME, TMPDIR and the rest move there from jobs/<execution>.
  // The given variables come with them, in the start frame: the zygote never had them.
  const env = relocateEnv(withGivenEnv(spec.env, spec.jobEnv), spec.context.jobDir, child.folder);
  const start: StartFrame = {
    type: ZygoteMessage.start,
    env: child.sandboxed ? child.sandboxed.child.envFor(env) : env,
    ...(spec.cwd === spec.context.jobDir ? {} : { cwd: spec.cwd }),
  };
  const running = child;
  const sandboxed = running.sandboxed;
  const outcome = await superviseJob(
    spec,
    {
      pid: running.hostPid,
      exited: running.exited,
      streams: Promise.resolve(running.sockets),
      signal: (signal) => signalGroup(running.hostPid, signal),
      ended: () => running.jobEnded(),
      ...(sandboxed ? { killAll: () => sandboxed.child.killAll() } : {}),
    },
    [encodeFrame(start), ...jobFrames],
    startedAt,
  ).then(
    (exit) => ({ exit }),
    (error: unknown) => ({ error }),
  );
  spare.end(shape);
  // Whatever became of the supervision: the sandbox is released, and the zygote's next child
  // (which waits for it from the moment the job ended) gets its execution once what this one
  // left is removed.
  const report = await running.finish();
  if ('error' in outcome) throw outcome.error;
  const { exit } = outcome;
  if (report.oomKilled) exit.stopReason = 'out_of_memory';
  else if (report.pidsLimitHit) exit.stopReason ??= 'pids_limit';
  return exit;
}
