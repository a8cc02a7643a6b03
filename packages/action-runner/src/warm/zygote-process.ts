import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import path from 'node:path';
import { encodeFrame, FrameDecoder, PackrunError, pythonRuntime, type Logger } from '@packrun/core';
import { ZygoteMessage, type ForkRequest, type ZygoteReply } from './zygote-protocol.ts';

const zygoteEntry = path.join(path.dirname(pythonRuntime.actionWrapper), 'packrun_zygote.py');

export interface ZygoteSpec {
  pack: string;
  packDir: string;
  /** The pack env's interpreter (or the configured one for a pack without a venv). */
  python: string;
  /** Modules imported before the first fork: pack.yaml `preload_imports`. */
  preload: string[];
  /** Allow-listed environment of the zygote itself: PATH and LANG, no secrets, no job inputs. */
  env: Record<string, string>;
  startTimeoutMs: number;
  logger?: Logger;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ForkedChild {
  pid: number;
  exited: Promise<ChildExit>;
}

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

/**
 * One running zygote: a warm Python process of one pack env that forks a child per execution.
 * It asks nothing of the runner but fork requests and tells it when each child ends; if the
 * zygote itself dies, its children are killed and reported as such, never left waiting.
 */
export class ZygoteProcess {
  readonly spec: ZygoteSpec;
  readonly preloaded: string[] = [];
  private readonly child: ChildProcess;
  private readonly channel: Socket;
  private readonly decoder = new FrameDecoder();
  private nextId = 1;
  private readonly forks = new Map<number, Deferred<ForkedChild>>();
  private readonly exits = new Map<number, Deferred<ChildExit>>();
  private alive = true;
  readonly ready: Promise<void>;
  /** Resolves once the zygote process is gone, for whatever reason. */
  readonly closed: Promise<void>;

  constructor(spec: ZygoteSpec) {
    this.spec = spec;
    this.child = spawn(spec.python, ['-I', zygoteEntry, '--pack-dir', spec.packDir, '--preload', JSON.stringify(spec.preload)], {
      cwd: '/',
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    this.channel = this.child.stdio[3] as Socket;
    // The zygote must never keep the runtime alive: it ends on its own when its channel closes.
    this.child.unref();
    this.channel.unref();
    (this.child.stderr as Socket).unref();
    this.child.stderr!.on('data', (chunk: Buffer) => spec.logger?.warn({ pack: spec.pack, stderr: chunk.toString('utf8') }, 'zygote wrote to stderr'));

    let readyDeferred!: Deferred<void>;
    this.ready = new Promise<void>((resolve, reject) => {
      readyDeferred = { resolve, reject };
    });
    const startTimer = setTimeout(() => {
      readyDeferred.reject(this.startError('it did not report ready in time'));
      this.stop();
    }, spec.startTimeoutMs);
    startTimer.unref();

    this.channel.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      try {
        frames = this.decoder.push(chunk);
      } catch (error) {
        spec.logger?.error({ err: error, pack: spec.pack }, 'zygote broke its protocol');
        this.stop();
        return;
      }
      for (const frame of frames) {
        const reply = frame as ZygoteReply;
        if (reply.type === ZygoteMessage.ready) {
          clearTimeout(startTimer);
          this.preloaded.push(...reply.preloaded);
          if (reply.failed.length > 0) spec.logger?.warn({ pack: spec.pack, failed: reply.failed }, 'zygote could not preload some modules');
          readyDeferred.resolve();
        } else this.onReply(reply);
      }
    });
    this.channel.on('error', () => undefined);
    this.closed = new Promise<void>((resolve) => {
      this.child.once('exit', () => {
        clearTimeout(startTimer);
        this.alive = false;
        readyDeferred.reject(this.startError('it exited before it was ready'));
        this.failAll();
        resolve();
      });
      this.child.once('error', (error) => {
        readyDeferred.reject(this.startError(error.message));
      });
    });
    this.ready.catch(() => undefined);
  }

  private holds = 0;

  /** While anyone waits on the zygote (its start, a fork, a child's end) it keeps the runtime's
   * event loop alive; otherwise it never does. */
  hold(): void {
    if (this.holds++ === 0) this.channel.ref();
  }

  letGo(): void {
    if (--this.holds === 0) this.channel.unref();
  }

  get running(): boolean {
    return this.alive;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Forks one child for one execution; it waits for its streams to be accepted, then its job. */
  fork(request: Omit<ForkRequest, 'type' | 'id'>): Promise<ForkedChild> {
    if (!this.alive) return Promise.reject(new Error('zygote is not running'));
    const id = this.nextId++;
    return new Promise<ForkedChild>((resolve, reject) => {
      this.forks.set(id, { resolve, reject });
      this.channel.write(encodeFrame({ type: ZygoteMessage.fork, id, ...request }));
    });
  }

  /** Closing the channel ends the zygote (it kills any child still running first). */
  stop(): void {
    // Whoever stops it may wait for `closed`: keep the event loop alive until the exit arrives.
    this.child.ref();
    this.channel.destroy();
    if (this.alive && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  private onReply(reply: ZygoteReply): void {
    switch (reply.type) {
      case ZygoteMessage.forked: {
        const waiter = this.forks.get(reply.id);
        this.forks.delete(reply.id);
        const exited = new Promise<ChildExit>((resolve, reject) => this.exits.set(reply.pid, { resolve, reject }));
        waiter?.resolve({ pid: reply.pid, exited });
        return;
      }
      case ZygoteMessage.forkFailed: {
        const waiter = this.forks.get(reply.id);
        this.forks.delete(reply.id);
        waiter?.reject(new Error(`fork failed: ${reply.error.message}`));
        return;
      }
      case ZygoteMessage.exited: {
        const waiter = this.exits.get(reply.pid);
        this.exits.delete(reply.pid);
        waiter?.resolve({ code: reply.code, signal: reply.signal === null ? null : (signalNames.get(reply.signal) ?? 'SIGKILL') });
        return;
      }
      default:
        return;
    }
  }

  /** The zygote is gone: no exit report will come, so its children are killed and reported killed. */
  private failAll(): void {
    for (const waiter of this.forks.values()) waiter.reject(new Error('zygote exited'));
    this.forks.clear();
    for (const [pid, waiter] of this.exits) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
      waiter.resolve({ code: null, signal: 'SIGKILL' });
    }
    this.exits.clear();
  }

  private startError(reason: string): PackrunError {
    return new PackrunError('ZYGOTE_START_FAILED', `the Python zygote of pack "${this.spec.pack}" (${this.spec.python}) did not start: ${reason}`, {
      hint: 'the action runs with a cold start instead; check that the pack env works with `packrun run`',
      details: { pack: this.spec.pack, python: this.spec.python },
      userError: false,
    });
  }
}
