import { encodeJobFrames, signalGroup, type JobExit, type LaunchSpec } from '@packrun/core';
import { superviseJob } from './job-supervisor.ts';
import { JobStreamListener } from './job-streams.ts';
import type { ZygoteProcess } from './zygote-process.ts';

/**
 * A job forked from a zygote: the child already runs the wrapper, connects its three streams to
 * a per-execution socket, and gets its job once they are in.
 */
export async function launchWarmJob(spec: LaunchSpec, zygote: ZygoteProcess): Promise<JobExit> {
  const startedAt = Date.now();
  const frames = encodeJobFrames(spec.initialMessages ?? [], spec.context);
  const listener = await JobStreamListener.open();
  const forked = await zygote.fork({ socket: listener.address, token: listener.token, cwd: spec.cwd, env: spec.env, rlimits: {} }).catch((error: unknown) => {
    listener.abandon(error as Error);
    throw error;
  });
  // A child that dies before its streams are in (a bad cwd, say) must not leave us waiting.
  void forked.exited.then(() => listener.abandon(new Error('the forked child exited before it connected its streams')));
  return superviseJob(
    spec,
    {
      pid: forked.pid,
      exited: forked.exited,
      streams: listener.connected.catch(() => undefined),
      signal: (signal) => signalGroup(forked.pid, signal),
    },
    frames,
    startedAt,
  );
}
