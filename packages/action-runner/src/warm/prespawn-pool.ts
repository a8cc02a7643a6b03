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
 * and waiting for its job on fd 3, so interpreter start-up is off the critical path. Taking one
 * starts the next; a waiting process that is not taken within `idleMs` is stopped, one that died
 * is dropped. They never keep the runtime's event loop alive while they wait.
 */
export class PrespawnPool {
  private readonly waiting = new Map<string, { child: ChildProcess; idleTimer: NodeJS.Timeout }>();

  constructor(private readonly options: { idleMs: number }) {}

  /** The process waiting for this kind of job, if one is ready; starts the next one either way. */
  take(spec: PrespawnSpec): ChildProcess | undefined {
    const key = JSON.stringify([spec.command, spec.args, spec.env]);
    const entry = this.waiting.get(key);
    this.waiting.delete(key);
    if (entry) clearTimeout(entry.idleTimer);
    // After the current job's frames went out: spawning blocks the event loop for a moment.
    setImmediate(() => this.start(key, spec));
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

  private start(key: string, spec: PrespawnSpec): void {
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
