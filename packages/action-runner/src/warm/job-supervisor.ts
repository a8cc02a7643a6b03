import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  JobStopper,
  MessageType,
  OutputCapture,
  parseChildMessage,
  streamClosed,
  type ChildMessage,
  type JobExit,
  type LaunchSpec,
  type ParentMessage,
} from '@packrun/core';
import type { ChildExit } from './zygote-process.ts';

/** How long we wait for the streams to close once the job's processes are killed. */
const drainMs = 2000;

/** A job process that is already running and waits for its job frame on `control`. */
export interface StartedJob {
  pid: number;
  exited: Promise<ChildExit>;
  /** Its streams, or undefined when it died before it could hand them over. */
  streams: Promise<{ stdout: Readable; stderr: Readable; control: Socket; early?: { stdout: Buffer[]; stderr: Buffer[] } } | undefined>;
  /** Signals the job's whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** Kills what left the group too (the sandbox's cgroup), when the grace after SIGTERM is over. */
  killAll?(): Promise<void>;
  /** Called once, as soon as the job's process is known to have ended, before its group is killed. */
  ended?(): void;
}


/**
 * launchJob's contract (packages/core/src/process/launcher.ts) for a job process started ahead
 * (forked from a zygote, or pre-spawned): the same capped output, control channel, timeout,
 * cancel, output limit and group kill, the same JobExit. The job frames go out once its streams
 * are in.
 */
export async function superviseJob(spec: LaunchSpec, job: StartedJob, frames: Buffer[], startedAt: number): Promise<JobExit> {
  const pid = job.pid;
  const log = spec.logger?.child({ pid, pack: spec.context.pack, execution: spec.context.executionId, warm: true });
  const output = new OutputCapture(spec.outputCapBytes);
  let protocolError: string | undefined;
  const stopper = new JobStopper({
    spec,
    log,
    terminate: () => job.signal('SIGTERM'),
    kill: () => {
      job.signal('SIGKILL');
      job.killAll?.().catch((error: unknown) => log?.error({ err: error }, 'sandbox could not kill the job'));
    },
  });
  stopper.arm();

  // A zygote child says when it is done and with which code (its `exiting` frame), then ends its
  // side of the control channel: from there nothing of it runs but its exit, which the kernel may
  // take milliseconds to finish. The end of the channel is waited for, so that the group's SIGKILL
  // below cannot cut the child off before it has closed its streams.
  let exitingCode: number | undefined;
  let reportExiting: (exit: ChildExit) => void = () => undefined;
  const exiting = new Promise<ChildExit>((resolve) => {
    reportExiting = resolve;
  });

  const sockets = await job.streams;
  const onOutput = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    output.push(stream, chunk);
    spec.onOutput?.(stream, chunk);
    stopper.checkOutput(output.totalBytes);
  };

  let channelSend: ((frame: Buffer) => boolean) | undefined;
  if (sockets) {
    for (const chunk of sockets.early?.stdout ?? []) onOutput('stdout')(chunk);
    for (const chunk of sockets.early?.stderr ?? []) onOutput('stderr')(chunk);
    sockets.stdout.on('data', onOutput('stdout')).resume();
    sockets.stderr.on('data', onOutput('stderr')).resume();
    const control = sockets.control;
    const decoder = new FrameDecoder(spec.frameBounds);
    let open = true;
    const reply = (message: ParentMessage): void => {
      if (open && !control.destroyed && control.writable) control.write(encodeFrame(message));
    };
    control.on('data', (chunk: Buffer) => {
      if (!open) return;
      let messages: ChildMessage[];
      try {
        messages = decoder.push(chunk).map(parseChildMessage);
      } catch (error) {
        open = false;
        protocolError ??= error instanceof Error ? error.message : String(error);
        log?.warn({ reason: protocolError }, 'job broke the control protocol');
        control.destroy();
        stopper.stop(undefined);
        return;
      }
      for (const message of messages) {
        if (message.type === MessageType.exiting) exitingCode = message.code;
        else spec.onMessage?.(message, reply);
      }
    });
    control.on('end', () => {
      if (open && decoder.pending > 0) {
        protocolError ??= 'control channel closed in the middle of a frame';
        stopper.stop(undefined);
      }
      open = false;
      if (exitingCode !== undefined && protocolError === undefined) reportExiting({ code: exitingCode, signal: null });
    });
    control.on('error', () => {
      open = false;
    });
    control.resume();
    channelSend = (frame) => {
      if (!open || control.destroyed || !control.writable) return false;
      control.write(frame);
      return true;
    };
    for (const frame of frames) channelSend(frame);
    spec.onStarted?.((message) => channelSend?.(encodeFrame(message)) ?? false, pid);
  }

  const { code, signal } = await Promise.race([job.exited, exiting]);
  job.ended?.();
  stopper.finish();
  // The main child is gone or going; anything it left behind in its group goes too.
  job.signal('SIGKILL');
  if (sockets) {
    await Promise.all([streamClosed(sockets.stdout, drainMs), streamClosed(sockets.stderr, drainMs), streamClosed(sockets.control, drainMs)]);
    sockets.control.destroy();
  }
  return {
    exitCode: code,
    exitSignal: signal,
    ...(stopper.reason ? { stopReason: stopper.reason } : {}),
    ...output.finish(),
    ...(protocolError ? { protocolError } : {}),
    durationMs: Date.now() - startedAt,
    pid,
  };
}
