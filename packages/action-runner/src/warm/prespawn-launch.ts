import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import { encodeJobFrames, type JobExit, type LaunchSpec } from '@packrun/core';
import { superviseJob } from './job-supervisor.ts';
import type { ChildExit } from './zygote-process.ts';

/**
 * A job run by a process started ahead (PrespawnPool): the job frame carries the job folder and
 * environment the wrapper applies before it imports the action, so the action sees what a cold
 * start would have given it.
 */
export async function launchPrespawnedJob(spec: LaunchSpec, child: ChildProcess): Promise<JobExit> {
  const startedAt = Date.now();
  const frames = encodeJobFrames(spec.initialMessages ?? [], spec.context, { setup: { cwd: spec.cwd, env: spec.env } });
  const pid = child.pid!;
  const exited = new Promise<ChildExit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return superviseJob(
    spec,
    {
      pid,
      exited,
      streams: Promise.resolve({ stdout: child.stdout!, stderr: child.stderr!, control: child.stdio[3] as Socket }),
      signal: (signal) => {
        try {
          process.kill(-pid, osConstants.signals[signal]);
        } catch {
          // ESRCH: the whole group is already gone.
        }
      },
    },
    frames,
    startedAt,
  );
}
