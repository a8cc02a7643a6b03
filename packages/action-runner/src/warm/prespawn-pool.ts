import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

export interface PrespawnSpec {
  command: string;
  args: string[];
  /** The environment it starts with; the job's own replaces it when the job arrives. */
  env: Record<string, string>;
}

/**
 * One single-use process per kind of job (command, arguments, base environment), started ahead
 * and waiting for its job on fd 3, so interpreter start-up is off the critical path. The next one
 * starts when a job of its kind ends; a waiting process that is not taken within `idleMs` is stopped, one that died
 * is dropped. They never keep the runtime's event loop alive while they wait.
 */
function keyOf(spec: PrespawnSpec): string {
  return JSON.stringify([spec.command, spec.args, spec.env]);
}

export class PrespawnPool {
  private readonly waiting = new Map<string, { child: ChildProcess; idleTimer: NodeJS.Timeout }>();

  constructor(private readonly options: { idleMs: number }) {}

  /** The process waiting for this kind of job, if one is ready. */
  take(spec: PrespawnSpec): ChildProcess | undefined {
    const entry = this.waiting.get(keyOf(spec));
    this.waiting.delete(keyOf(spec));
    if (entry) clearTimeout(entry.idleTimer);
    if (!entry || entry.child.exitCode !== null || entry.child.signalCode !== null) return undefined;
    entry.child.ref();
    for (const stream of [entry.child.stdout, entry.child.stderr, entry.child.stdio[3]] as Socket[]) stream.ref();
    return entry.child;
  }

  /** Pids of the processes waiting, for memory accounting. */
  pids(): number[] {
    return [...this.waiting.values()].flatMap((entry) => (entry.child.pid === undefined ? [] : [entry.child.pid]));
  }

  close(): void {
    for (const entry of this.waiting.values()) {
      clearTimeout(entry.idleTimer);
      entry.child.kill('SIGKILL');
    }
    this.waiting.clear();
  }

  /**
   * Starts the next process for this kind of job, unless one waits already. Called when a job of
   * that kind has ended: a replacement booting while the job runs would take CPU from it.
   */
  replenish(spec: PrespawnSpec): void {
    const key = keyOf(spec);
    if (this.waiting.has(key)) return;
    const child = spawn(spec.command, spec.args, { cwd: '/', env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    child.once('error', () => this.drop(key, child));
    child.once('exit', () => this.drop(key, child));
    child.unref();
    for (const stream of [child.stdout, child.stderr, child.stdio[3]] as Socket[]) stream.unref();
    const idleTimer = setTimeout(() => {
      this.drop(key, child);
      child.kill('SIGKILL');
    }, this.options.idleMs);
    idleTimer.unref();
    this.waiting.set(key, { child, idleTimer });
  }

  private drop(key: string, child: ChildProcess): void {
    const entry = this.waiting.get(key);
    if (entry?.child !== child) return;
    clearTimeout(entry.idleTimer);
    this.waiting.delete(key);
  }
}
