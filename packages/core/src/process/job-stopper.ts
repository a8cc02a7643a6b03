import type { StopReason } from '../execution.ts';
import type { Logger } from '../logger.ts';
import type { LaunchSpec } from './launcher.ts';

export interface JobStopperOptions {
  /** The job's timeout, grace, output limit and the caller's abort signal. */
  spec: Pick<LaunchSpec, 'timeoutMs' | 'killGraceMs' | 'outputLimitBytes' | 'signal'>;
  log: Logger | undefined;
  /** Asks the job to stop (SIGTERM to its group, or the sandbox's own way). */
  terminate(): void;
  /** Kills the job and what it left behind, once the grace after `terminate` is over. */
  kill(): void;
}

/**
 * How a running job is stopped, the same for a job launched cold (launcher.ts) and one started
 * ahead (the action runner's warm path): on its timeout, on its caller's abort, on output beyond its
 * limit, or when its supervisor gives up on it (a broken protocol). SIGTERM first, then SIGKILL
 * after the grace; the first reason given is the one reported, and nothing is signalled once the
 * job has ended, since its pid (its group's id) may by then belong to another process.
 */
export class JobStopper {
  private readonly options: JobStopperOptions;
  private stopReason: StopReason | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private timeout: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(options: JobStopperOptions) {
    this.options = options;
  }

  /** Why the job was stopped; undefined when it was not, or only for a protocol error (reported on its own). */
  get reason(): StopReason | undefined {
    return this.stopReason;
  }

  stop(reason: StopReason | undefined): void {
    if (this.ended || this.killTimer) return;
    this.stopReason ??= reason;
    this.options.log?.debug({ reason }, 'stopping job');
    this.options.terminate();
    this.killTimer = setTimeout(() => this.options.kill(), this.options.spec.killGraceMs);
  }

  /** Stops the job once stdout and stderr together pass its output limit. */
  checkOutput(totalBytes: number): void {
    const limit = this.options.spec.outputLimitBytes;
    if (limit !== undefined && totalBytes > limit) this.stop('output_limit');
  }

  /** Starts the job's timeout and stops it when its caller aborts (at once if it already has). */
  arm(): void {
    const { timeoutMs, signal } = this.options.spec;
    if (timeoutMs !== undefined) this.timeout = setTimeout(() => this.stop('timeout'), timeoutMs);
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The job has ended: no more signals, no timers left. */
  finish(): void {
    this.ended = true;
    clearTimeout(this.timeout);
    clearTimeout(this.killTimer);
    this.options.spec.signal?.removeEventListener('abort', this.onAbort);
  }

  private readonly onAbort = (): void => this.stop('canceled');
}
