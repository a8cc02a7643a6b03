import type { Socket } from 'node:net';
import { encodeJobFrames, execShimScript, signalGroup, withGivenEnv, type JobExit, type LaunchSpec } from '@packrun/core';
import { superviseJob } from './job-supervisor.ts';
import { releasePrespawned, type PrespawnedJob } from './prespawn-pool.ts';
import { relocateEnv } from './relocate-env.ts';
import type { ChildExit } from './zygote-process.ts';

/** The exec shim's script for a job without a control channel (launchAction checked it fits one). */
function execScriptOf(spec: LaunchSpec, job: PrespawnedJob, env: Record<string, string>, cwd: string): Buffer {
  if (!job.token) throw new Error('the process started ahead is not an exec shim');
  return execShimScript({ argv: [spec.command, ...spec.args], env, cwd, startEnvNames: job.startEnvNames, token: job.token });
}

/**
 * A job run by a process started ahead (PrespawnPool): the job frame carries the job folder and
 * environment the wrapper applies before it imports the action, so the action sees what a cold
 * start would have given it. Under the sandbox the process already runs in its uid, cgroup and
 * bubblewrap with a job folder of its own, which the job's environment is moved to; `setupEnv` is
 * the job's whole environment (given variables included) as the sandbox passes it (runtime
 * secrets scrubbed).
 */
export async function launchPrespawnedJob(spec: LaunchSpec, job: PrespawnedJob, setupEnv: Record<string, string> = withGivenEnv(spec.env, spec.jobEnv)): Promise<JobExit> {
  const startedAt = Date.now();
  const { child, wrapped, jobDir } = job;
  // A sandboxed process started ahead has a job folder of its own: the job moves there.
  const env = jobDir ? relocateEnv(setupEnv, spec.context.jobDir, jobDir) : setupEnv;
  const cwd = jobDir && spec.cwd === spec.context.jobDir ? jobDir : spec.cwd;
  const frames = spec.controlChannel
    ? encodeJobFrames(spec.initialMessages ?? [], spec.context, { setup: { cwd, env } })
    : [execScriptOf(spec, job, env, cwd)];
  const pid = child.pid!;
  const exited = new Promise<ChildExit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const exit = await superviseJob(
    spec,
    {
      pid,
      exited,
      streams: Promise.resolve({ stdout: child.stdout!, stderr: child.stderr!, control: child.stdio[3] as Socket }),
      signal: (signal) => {
        // Inside bubblewrap a SIGTERM to the group would end bubblewrap, and the job with it, at once.
        if (signal === 'SIGTERM' && wrapped?.terminate) void wrapped.terminate().catch(() => undefined);
        else signalGroup(pid, signal);
      },
      ...(wrapped ? { killAll: () => wrapped.killAll() } : {}),
    },
    frames,
    startedAt,
  );
  const report = await releasePrespawned({ ...(wrapped ? { wrapped } : {}), ...(jobDir ? { jobDir } : {}) });
  if (report?.oomKilled) exit.stopReason = 'out_of_memory';
  else if (report?.pidsLimitHit) exit.stopReason ??= 'pids_limit';
  return exit;
}
