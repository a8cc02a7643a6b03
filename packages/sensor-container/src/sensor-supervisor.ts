import type { Logger, ParentMessage } from '@packrun/core';
import { restartDelay, type BackoffPolicy } from './backoff.ts';
import type { RunningSensorProcess, SensorExit } from './sensor-process.ts';

/**
 * Keeps one sensor's process alive: starts it, restarts it with growing delays when it dies
 * without being asked to, and remembers why it died (exit, the wrapper's error, the last stderr
 * lines) so that `packrun sensor get` can say. `stop()` ends it for good.
 */
export type SensorStatus = 'starting' | 'running' | 'backing_off' | 'failing' | 'stopping' | 'stopped';

export interface SensorState {
  ref: string;
  status: SensorStatus;
  pid?: number;
  startedAt?: string;
  /** Starts since the container began supervising it. */
  starts: number;
  consecutiveFailures: number;
  /** When the next start is due, while backing off or failing. */
  nextStartAt?: string;
  /** The delay before that next start, in milliseconds. */
  backoffMs?: number;
  lastExit?: { at: string; exitCode: number | null; signal: string | null };
  lastError?: string;
  /**
   * The last stderr lines of the run that ended with `lastError`. Kept while the next run starts,
   * so a crash-looping sensor still shows why it died when it is looked at between two crashes.
   */
  lastErrorStderr?: string[];
  /** The last stderr lines of the current run, or of the last run while none runs. */
  stderrTail: string[];
}

interface SupervisorOptions {
  ref: string;
  /** Starts the process; a thrown error counts as a crash (bad pack env, missing interpreter). */
  start: (hooks: { onStderrLine: (line: string) => void }) => Promise<RunningSensorProcess>;
  backoff: BackoffPolicy;
  stopGraceMs: number;
  logger: Logger;
  stderrLines?: number;
  /** Told after each change of status (started, crashed, stopped): the container reports the new state. */
  onChange?: () => void;
}

export class SensorSupervisor {
  private readonly state: SensorState;
  private process: RunningSensorProcess | undefined;
  /** The start in progress, so that a restart never runs two starts at once. */
  private launching: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private runStartedAt = 0;
  private currentTail: string[] = [];
  private readonly log: Logger;

  constructor(private readonly options: SupervisorOptions) {
    this.state = { ref: options.ref, status: 'starting', starts: 0, consecutiveFailures: 0, stderrTail: [] };
    this.log = options.logger.child({ sensor: options.ref });
  }

  snapshot(): SensorState {
    return {
      ...this.state,
      stderrTail: [...(this.state.status === 'running' ? this.currentTail : this.state.stderrTail)],
      ...(this.state.lastErrorStderr ? { lastErrorStderr: [...this.state.lastErrorStderr] } : {}),
    };
  }

  begin(): void {
    this.startNow();
  }

  /** True while a process runs and can be sent frames. */
  get running(): boolean {
    return this.process !== undefined && this.state.status === 'running';
  }

  /** Sends a frame to the running process (trigger changes); false when none runs. */
  send(message: ParentMessage): boolean {
    return this.process?.send(message) ?? false;
  }

  /** Stops the current process and starts a fresh one now, forgetting the backoff. */
  async restart(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.timer);
    await this.launching;
    const current = this.process;
    this.process = undefined;
    if (current) await current.stop(this.options.stopGraceMs);
    this.state.consecutiveFailures = 0;
    this.startNow();
    await this.launching;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.launching;
    const current = this.process;
    this.process = undefined;
    if (current) {
      this.state.status = 'stopping';
      this.options.onChange?.();
      await current.stop(this.options.stopGraceMs);
    }
    this.state.status = 'stopped';
    delete this.state.pid;
    delete this.state.nextStartAt;
    delete this.state.backoffMs;
    this.options.onChange?.();
  }

  private startNow(): void {
    const launch = this.launch().finally(() => {
      if (this.launching === launch) this.launching = undefined;
    });
    this.launching = launch;
  }

  private async launch(): Promise<void> {
    if (this.stopped) return;
    this.state.status = 'starting';
    delete this.state.nextStartAt;
    delete this.state.backoffMs;
    this.currentTail = [];
    const maxLines = this.options.stderrLines ?? 30;
    const onStderrLine = (line: string): void => {
      this.currentTail.push(line);
      if (this.currentTail.length > maxLines) this.currentTail.shift();
      this.log.info({ stream: 'stderr' }, line);
    };
    let running: RunningSensorProcess;
    this.runStartedAt = Date.now();
    this.state.starts += 1;
    this.options.onChange?.();
    try {
      running = await this.options.start({ onStderrLine });
    } catch (error) {
      this.crashed(`cannot start: ${(error as Error).message}`, undefined);
      return;
    }
    if (this.stopped) {
      await running.stop(this.options.stopGraceMs);
      return;
    }
    this.process = running;
    this.state.status = 'running';
    this.state.startedAt = new Date(this.runStartedAt).toISOString();
    this.state.pid = running.pid;
    this.options.onChange?.();
    void running.exited.then((exit) => {
      if (this.process !== running) return;
      this.process = undefined;
      this.crashed(describeExit(exit), exit);
    });
  }

  private crashed(reason: string, exit: SensorExit | undefined): void {
    delete this.state.pid;
    if (this.stopped) return;
    const ranFor = Date.now() - this.runStartedAt;
    this.state.consecutiveFailures = ranFor >= this.options.backoff.stableMs ? 1 : this.state.consecutiveFailures + 1;
    this.state.lastError = reason;
    this.state.stderrTail = [...this.currentTail];
    this.state.lastErrorStderr = [...this.currentTail];
    if (exit) this.state.lastExit = { at: new Date().toISOString(), exitCode: exit.exitCode, signal: exit.exitSignal };
    const delay = restartDelay(this.options.backoff, this.state.consecutiveFailures);
    this.state.status = this.state.consecutiveFailures >= this.options.backoff.failingAfter ? 'failing' : 'backing_off';
    this.state.backoffMs = delay;
    this.state.nextStartAt = new Date(Date.now() + delay).toISOString();
    this.log.warn({ reason, failures: this.state.consecutiveFailures, restartInMs: delay }, 'sensor died; restarting after backoff');
    this.timer = setTimeout(() => this.startNow(), delay);
    this.options.onChange?.();
  }
}

function describeExit(exit: SensorExit): string {
  const how = exit.exitSignal ? `killed by ${exit.exitSignal}` : `exited with code ${exit.exitCode}`;
  const why = exit.wrapperError ? `: ${exit.wrapperError.type}: ${exit.wrapperError.message}` : exit.protocolError ? `: protocol error: ${exit.protocolError}` : '';
  return `${how}${why}`;
}
