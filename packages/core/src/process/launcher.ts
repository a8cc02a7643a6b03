import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { PackrunError } from '../errors.ts';
import type { StopReason } from '../execution.ts';
import type { Logger } from '../logger.ts';
import type { ChildMessage, ParentMessage } from '../protocol/messages.ts';
import { resolveCommand } from '../sandbox/job-mounts.ts';
import { withGivenEnv } from './child-env.ts';
import { execShimArgs, execShimScript } from './exec-shim.ts';
import { encodeJobFrames, streamClosed } from './job-streams.ts';
import { ControlChannel } from './control-channel.ts';
import { JobStopper } from './job-stopper.ts';
import { OutputCapture } from './output-capture.ts';
import type { OutputRun } from './output-runs.ts';
import type { FrameBounds } from '../protocol/framing.ts';
import { noSandbox, type SpawnContext, type SpawnDecorator, type WrappedSpawn } from './spawn-decorator.ts';

export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  /** The runtime's own variables for the job (see buildChildEnv); nothing is inherited. */
  env: Record<string, string>;
  /**
   * Variables a caller, a rule or the pack gave (an action's `env` parameter). They never reach
   * the processes that put the job in its sandbox (the prelude, bubblewrap, setpriv): the job
   * applies them itself once inside, a wrapper from its job frame (`setup`), a shell job through
   * the exec shim (exec-shim.ts). Without a sandbox nothing runs before the job, which then simply
   * starts with them.
   */
  jobEnv?: Record<string, string>;
  context: SpawnContext;
  /** Wall-clock limit; undefined for none. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when the job is stopped. */
  killGraceMs: number;
  /** Bytes kept of stdout and, separately, of stderr. */
  outputCapBytes: number;
  /** Total bytes of stdout plus stderr after which the job is stopped with stop reason `output_limit`. */
  outputLimitBytes?: number;
  /** Open the control channel on fd 3 (the wrappers); shell actions run without one. */
  controlChannel: boolean;
  /** What each frame from the child is held to (an action's results, a sensor's payloads); the protocol's ceiling when unset. */
  frameBounds?: FrameBounds;
  /** Messages sent as soon as the child is started (the job). */
  initialMessages?: ParentMessage[];
  /** Called once the child runs, with a sender for messages at any later time (a sensor's trigger changes and stop). */
  onStarted?: (send: (message: ParentMessage) => boolean, pid: number) => void;
  /** Frames from the child; `reply` is a no-op once the child is gone. */
  onMessage?: (message: ChildMessage, reply: (message: ParentMessage) => void) => void;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Aborting stops the job like a timeout does, with stop reason `canceled`. */
  signal?: AbortSignal;
  decorator?: SpawnDecorator;
  logger?: Logger;
}

export interface JobExit {
  exitCode: number | null;
  /** The signal that ended the main child, if one did. */
  exitSignal: NodeJS.Signals | null;
  stopReason?: StopReason;
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
  /** The order stdout and stderr came in, over their kept text (output-runs.ts). */
  outputRuns: OutputRun[];
  /** Set when the child broke the wire protocol (bad frame, oversize frame); the job was stopped. */
  protocolError?: string;
  durationMs: number;
  pid: number;
}

/** How long we wait for the pipes to close once the job's processes are killed. */
const pipeDrainMs = 2000;

/** Signals a job's whole process group (its leader's pid); a group already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}


/** The job's whole environment as it gets it inside the sandbox (runtime secrets scrubbed by the decorator that wrapped it). */
function envAfterBoundary(wrapped: WrappedSpawn, base: Record<string, string>, given: Record<string, string>): Record<string, string> {
  const env = withGivenEnv(base, given);
  return wrapped.jobEnv?.(env) ?? env;
}

/**
 * Runs one job process to the end: its own process group, a cleared environment, capped output,
 * a timeout and cancel that stop the whole group (SIGTERM, then SIGKILL after the grace), and
 * after the main child exits the group is killed anyway so that forked daemons die with it.
 */
export async function launchJob(spec: LaunchSpec): Promise<JobExit> {
  const started = Date.now();
  const decorator = spec.decorator ?? noSandbox;
  const given = spec.jobEnv !== undefined && Object.keys(spec.jobEnv).length > 0 ? spec.jobEnv : undefined;
  const setupInFrame = given !== undefined && spec.controlChannel;
  // Encoded before anything starts, so a job too large for the channel fails without a process.
  let frames = setupInFrame ? [] : encodeJobFrames(spec.initialMessages ?? [], spec.context);
  const startsWithGiven = given !== undefined && !spec.controlChannel && decorator === noSandbox;
  // A shell job with variables under a sandbox becomes itself through the exec shim. Its command
  // is resolved here, with the runtime's PATH: a given PATH must not choose it.
  const shim =
    given !== undefined && !spec.controlChannel && !startsWithGiven
      ? { token: randomBytes(16).toString('hex'), command: resolveCommand(spec.command, spec.env) ?? spec.command, given }
      : undefined;
  const wrapped = await decorator.wrap({
    command: shim ? '/bin/sh' : spec.command,
    args: shim ? [...execShimArgs, shim.token] : spec.args,
    env: startsWithGiven ? withGivenEnv(spec.env, given) : spec.env,
    cwd: spec.cwd,
    // Through the shim the job's command is exec'd inside: the sandbox must still show its interpreter.
    context: shim ? { ...spec.context, interpreters: [...(spec.context.interpreters ?? []), shim.command] } : spec.context,
  });
  if (setupInFrame) {
    // The variables the wrapper applies before it loads the action, as the sandbox lets them through.
    try {
      frames = encodeJobFrames(spec.initialMessages ?? [], spec.context, { setup: { cwd: spec.cwd, env: envAfterBoundary(wrapped, spec.env, given) } });
    } catch (error) {
      await wrapped.afterExit().catch(() => undefined);
      throw error;
    }
  }

  const child = spawn(wrapped.command, wrapped.args, {
    cwd: spec.cwd,
    env: wrapped.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', spec.controlChannel || shim ? 'pipe' : 'ignore'],
  });

  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  if (spawnError || child.pid === undefined) {
    await wrapped.afterExit().catch(() => undefined);
    throw new PackrunError('PROCESS_SPAWN_FAILED', `cannot start ${wrapped.command}: ${spawnError?.message ?? 'no pid'}`, {
      details: { command: wrapped.command, pack: spec.context.pack },
      userError: false,
      cause: spawnError,
    });
  }
  const pid = child.pid;
  const log = spec.logger?.child({ pid, pack: spec.context.pack, execution: spec.context.executionId });

  const output = new OutputCapture(spec.outputCapBytes);
  let protocolError: string | undefined;
  const stopper = new JobStopper({
    spec,
    log,
    terminate: () => {
      if (wrapped.terminate) wrapped.terminate().catch((error: unknown) => log?.warn({ err: error }, 'sandbox could not signal the job'));
      else signalGroup(pid, 'SIGTERM');
    },
    kill: () => {
      signalGroup(pid, 'SIGKILL');
      wrapped.killAll().catch((error: unknown) => log?.error({ err: error }, 'sandbox could not kill the job'));
    },
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    output.push('stdout', chunk);
    spec.onOutput?.('stdout', chunk);
    stopper.checkOutput(output.totalBytes);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.push('stderr', chunk);
    spec.onOutput?.('stderr', chunk);
    stopper.checkOutput(output.totalBytes);
  });

  const socket = spec.controlChannel ? (child.stdio[3] as Socket) : undefined;
  const shimInput = shim ? (child.stdio[3] as Socket) : undefined;
  const channel = socket
    ? new ControlChannel(socket, {
        onMessage: (message) => spec.onMessage?.(message, (reply) => void channel?.send(reply)),
        onProtocolError: (reason) => {
          protocolError ??= reason;
          log?.warn({ reason }, 'job broke the control protocol');
          stopper.stop(undefined);
        },
      }, spec.frameBounds)
    : undefined;

  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  try {
    await wrapped.started?.(pid);
  } catch (error) {
    stopper.stop(undefined);
    await exit;
    throw error;
  }
  for (const frame of frames) channel?.sendFrame(frame);
  if (shimInput && shim) {
    // A job that is gone before it read its script is reported by its exit, not by this write.
    shimInput.on('error', () => undefined);
    shimInput.end(
      execShimScript({ argv: [shim.command, ...spec.args], env: envAfterBoundary(wrapped, spec.env, shim.given), cwd: spec.cwd, startEnvNames: Object.keys(wrapped.env), token: shim.token }),
    );
  }
  spec.onStarted?.((message) => channel?.send(message) ?? false, pid);

  stopper.arm();

  const { code, signal } = await exit;
  stopper.finish();
  // The main child is gone; anything it left behind in its group goes too.
  signalGroup(pid, 'SIGKILL');
  await wrapped.killAll().catch((error: unknown) => log?.error({ err: error }, 'sandbox could not kill what the job left behind'));
  await Promise.all([
    streamClosed(child.stdout!, pipeDrainMs),
    streamClosed(child.stderr!, pipeDrainMs),
    ...(socket ? [streamClosed(socket, pipeDrainMs)] : []),
  ]);
  channel?.close();
  shimInput?.destroy();
  const report = await wrapped.afterExit();
  const stopReason: StopReason | undefined = report.oomKilled ? 'out_of_memory' : (stopper.reason ?? (report.pidsLimitHit ? 'pids_limit' : undefined));

  return {
    exitCode: code,
    exitSignal: signal,
    ...(stopReason ? { stopReason } : {}),
    ...output.finish(),
    ...(protocolError ? { protocolError } : {}),
    durationMs: Date.now() - started,
    pid,
  };
}
