import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  PackrunError,
  parseChildMessage,
  type ChildMessage,
  CappedOutput,
  type JobExit,
  type LaunchSpec,
  type ParentMessage,
  type StopReason,
} from '@packrun/core';
import { JobStreamListener } from './job-streams.ts';
import type { ChildExit, ZygoteProcess } from './zygote-process.ts';

/** How long we wait for the sockets to close once the job's processes are killed. */
const drainMs = 2000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

function closed(stream: Readable | Socket, withinMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.readableEnded) return resolve();
    const timer = setTimeout(() => {
      stream.destroy();
      resolve();
    }, withinMs);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * launchJob's contract (packages/core/src/process/launcher.ts) for a child forked from a zygote:
 * the same capped output, control channel, timeout, cancel, output limit and group kill, the
 * same JobExit. Only the start differs: the child already runs the wrapper, connects its three
 * streams to a per-execution socket, and gets its job once they are in.
 */
export async function launchWarmJob(spec: LaunchSpec, zygote: ZygoteProcess): Promise<JobExit> {
  const started = Date.now();
  const initialFrames = (spec.initialMessages ?? []).map((message) => {
    try {
      return encodeFrame(message);
    } catch (error) {
      throw new PackrunError('JOB_TOO_LARGE', `the job for pack "${spec.context.pack}" is too large for the control channel: ${(error as Error).message}`, {
        hint: 'pass large data by reference (a datastore key, a URL, a file) rather than as a parameter',
        details: { pack: spec.context.pack, execution: spec.context.executionId },
      });
    }
  });

  const listener = await JobStreamListener.open();
  const forked = await zygote.fork({ socket: listener.address, token: listener.token, cwd: spec.cwd, env: spec.env, rlimits: {} }).catch((error: unknown) => {
    listener.abandon(error as Error);
    throw error;
  });
  const pid = forked.pid;
  const log = spec.logger?.child({ pid, pack: spec.context.pack, execution: spec.context.executionId, warm: true });
  // A child that dies before its streams are in (a bad cwd, say) must not leave us waiting.
  let exitResult: ChildExit | undefined;
  const exit = forked.exited.then((result) => {
    exitResult = result;
    listener.abandon(new Error('the forked child exited before it connected its streams'));
    return result;
  });

  const stdout = new CappedOutput(spec.outputCapBytes);
  const stderr = new CappedOutput(spec.outputCapBytes);
  let stopReason: StopReason | undefined;
  let protocolError: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let exited = false;
  const stop = (reason: StopReason | undefined): void => {
    if (exited || killTimer) return;
    stopReason ??= reason;
    log?.debug({ reason }, 'stopping job');
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), spec.killGraceMs);
  };
  const timeout = spec.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), spec.timeoutMs);
  const onAbort = (): void => stop('canceled');
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener('abort', onAbort, { once: true });

  const sockets = await listener.connected.catch(() => undefined);
  const checkOutputLimit = (): void => {
    if (spec.outputLimitBytes !== undefined && stdout.totalBytes + stderr.totalBytes > spec.outputLimitBytes) stop('output_limit');
  };
  const onOutput = (stream: 'stdout' | 'stderr', capped: CappedOutput) => (chunk: Buffer) => {
    capped.push(chunk);
    spec.onOutput?.(stream, chunk);
    checkOutputLimit();
  };

  let channelSend: ((frame: Buffer) => boolean) | undefined;
  if (sockets) {
    for (const chunk of sockets.early.stdout) onOutput('stdout', stdout)(chunk);
    for (const chunk of sockets.early.stderr) onOutput('stderr', stderr)(chunk);
    sockets.stdout.on('data', onOutput('stdout', stdout)).resume();
    sockets.stderr.on('data', onOutput('stderr', stderr)).resume();
    const control = sockets.control;
    const decoder = new FrameDecoder();
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
        stop(undefined);
        return;
      }
      for (const message of messages) spec.onMessage?.(message, reply);
    });
    control.on('end', () => {
      if (open && decoder.pending > 0) {
        protocolError ??= 'control channel closed in the middle of a frame';
        stop(undefined);
      }
      open = false;
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
    for (const frame of initialFrames) channelSend(frame);
    spec.onStarted?.((message) => channelSend?.(encodeFrame(message)) ?? false, pid);
  }

  const { code, signal } = exitResult ?? (await exit);
  exited = true;
  clearTimeout(timeout);
  clearTimeout(killTimer);
  spec.signal?.removeEventListener('abort', onAbort);
  // The main child is gone; anything it left behind in its group goes too.
  signalGroup(pid, 'SIGKILL');
  if (sockets) {
    await Promise.all([closed(sockets.stdout, drainMs), closed(sockets.stderr, drainMs), closed(sockets.control, drainMs)]);
    sockets.control.destroy();
  }
  return {
    exitCode: code,
    exitSignal: signal,
    ...(stopReason ? { stopReason } : {}),
    stdout: stdout.text(),
    stderr: stderr.text(),
    truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
    ...(protocolError ? { protocolError } : {}),
    durationMs: Date.now() - started,
    pid,
  };
}
