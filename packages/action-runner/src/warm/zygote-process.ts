import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { Socket } from 'node:net';
import path from 'node:path';
import { childHostPid, descendantHostPid, encodeFrame, FrameDecoder, PackrunError, pythonRuntime, type Logger, type SandboxedZygote, type SysvIpcIds, type WarmSandbox, type ZygoteContext } from '@packrun/core';
import { ZygoteStreamListener, type JobSockets } from './job-streams.ts';
import { makeZygoteFolder } from './zygote-folder.ts';
import { ZygoteMessage, type ForkRequest, type IpcObjectsRequest, type ZygoteReply } from './zygote-protocol.ts';

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
  /** The data folder's jobs/: the zygote's own folder for its children's stream socket is made there. */
  jobsDir: string;
  startTimeoutMs: number;
  logger?: Logger;
  /** Start it inside the sandbox, with `slots` job folders for executions running at once. */
  sandbox?: { warm: WarmSandbox; context: ZygoteContext; slots: number };
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ForkedChild {
  pid: number;
  exited: Promise<ChildExit>;
  /** Its stdout, stderr and control streams, once it connected them (rejected if it never does). */
  streams: Promise<JobSockets>;
}

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

const stderrTailChars = 2000;
const ipcQueryTimeoutMs = 10_000;

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
  private child: ChildProcess | undefined;
  private channel: Socket | undefined;
  private readonly decoder = new FrameDecoder();
  private nextId = 1;
  private readonly forks = new Map<number, Deferred<Omit<ForkedChild, 'streams'>>>();
  private readonly exits = new Map<number, Deferred<ChildExit>>();
  private readonly ipcQueries = new Map<number, Deferred<SysvIpcIds>>();
  /** Where its children connect their streams; in a folder of its own. */
  private streams: ZygoteStreamListener | undefined;
  private streamFolder: string | undefined;
  /** Removals of what finished children left in what all its children share, not yet done. */
  private readonly sharedSweeps = new Set<Promise<boolean>>();
  /** A finished child left something that could not be removed: no child may start any more. */
  private tainted = false;
  /** Host pids of running children, by their pid in the zygote's namespace (sandboxed only). */
  private readonly hostPids = new Map<number, number>();
  private alive = true;
  private stopRequested = false;
  /** The sandbox built around it, once launched. */
  sandbox: SandboxedZygote | undefined;
  private freeSlots: string[] = [];
  /** The zygote's own pid on the host (inside bubblewrap, not bubblewrap's). */
  hostPid: number | undefined;
  readonly ready: Promise<void>;
  /** Resolves once the zygote process is gone, for whatever reason, and its sandbox released. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  /** The end of what it wrote to stderr: why it failed to start, when it did. */
  private stderrTail = '';

  constructor(spec: ZygoteSpec) {
    this.spec = spec;
    this.closed = new Promise<void>((resolve) => {
      this.markClosed = resolve;
    });
    this.ready = this.start();
    this.ready.catch(() => undefined);
  }

  private async start(): Promise<void> {
    const { spec } = this;
    const args = ['-I', zygoteEntry, '--pack-dir', spec.packDir, '--preload', JSON.stringify(spec.preload)];
    let launch = { command: spec.python, args, env: spec.env };
    try {
      this.streamFolder = await makeZygoteFolder(spec.jobsDir);
      this.streams = await ZygoteStreamListener.open(this.streamFolder);
      if (spec.sandbox) {
        this.sandbox = await spec.sandbox.warm.launchZygote({ command: spec.python, args, env: spec.env, context: spec.sandbox.context, slots: spec.sandbox.slots, streamFolder: this.streamFolder });
        launch = this.sandbox;
        this.freeSlots = [...this.sandbox.slots];
      }
    } catch (error) {
      this.alive = false;
      await this.release();
      throw this.startError((error as Error).message);
    }
    if (this.stopRequested) {
      this.alive = false;
      await this.release();
      throw this.startError('it was stopped while starting');
    }
    const child = spawn(launch.command, launch.args, {
      cwd: '/',
      env: launch.env,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const channel = child.stdio[3] as Socket;
    this.channel = channel;
    // The zygote must never keep the runtime alive: it ends on its own when its channel closes.
    child.unref();
    if (this.holds === 0) channel.unref();
    (child.stderr as Socket).unref();
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-stderrTailChars);
      spec.logger?.warn({ pack: spec.pack, stderr: chunk.toString('utf8') }, 'zygote wrote to stderr');
    });

    return new Promise<void>((resolve, reject) => {
      const startTimer = setTimeout(() => {
        reject(this.startError('it did not report ready in time'));
        this.stop();
      }, spec.startTimeoutMs);
      startTimer.unref();

      channel.on('data', (chunk: Buffer) => {
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
            // Inside bubblewrap it reports its pid in its own namespace.
            this.hostPid = this.sandbox ? descendantHostPid(child.pid!, reply.pid) : child.pid;
            if (this.hostPid === undefined) {
              reject(this.startError(`its host pid was not found below ${child.pid}`));
              this.stop();
              return;
            }
            this.preloaded.push(...reply.preloaded);
            if (reply.failed.length > 0) spec.logger?.warn({ pack: spec.pack, failed: reply.failed }, 'zygote could not preload some modules');
            resolve();
          } else this.onReply(reply);
        }
      });
      channel.on('error', () => undefined);
      child.once('exit', () => {
        clearTimeout(startTimer);
        this.alive = false;
        reject(this.startError('it exited before it was ready'));
        this.failAll();
        void this.release();
      });
      child.once('error', (error) => {
        reject(this.startError(error.message));
      });
    });
  }

  private holds = 0;

  /** While anyone waits on the zygote (its start, a fork, a child's end) it keeps the runtime's
   * event loop alive; otherwise it never does. */
  hold(): void {
    if (this.holds++ === 0) this.channel?.ref();
  }

  letGo(): void {
    if (--this.holds === 0) this.channel?.unref();
  }

  /** A free job folder of a sandboxed zygote, or undefined when all are in use. */
  takeSlot(): string | undefined {
    return this.freeSlots.shift();
  }

  /** Gives a job folder back once it was emptied; one that could not be is never handed out again. */
  returnSlot(slot: string, emptied: boolean): void {
    if (emptied) this.freeSlots.push(slot);
  }

  /** The host pid of a forked child (by the pid the zygote reported), for cgroups and signals. */
  childHostPid(pid: number): number | undefined {
    if (!this.sandbox) return pid;
    const known = this.hostPids.get(pid);
    if (known !== undefined) return known;
    const found = this.hostPid === undefined ? undefined : childHostPid(this.hostPid, pid);
    if (found !== undefined) this.hostPids.set(pid, found);
    return found;
  }

  /** Alive, and fit to start children: nothing a finished one left is stuck in what they share. */
  get running(): boolean {
    return this.alive && !this.tainted;
  }

  /** The pid the runtime spawned (bubblewrap's, when sandboxed). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Forks one child for one execution. It connects its streams with a token of its own, then waits
   * for its job; a child that exits first fails `streams`.
   */
  async fork(request: Omit<ForkRequest, 'type' | 'id' | 'socket' | 'token' | 'listenerUid'>): Promise<ForkedChild> {
    const channel = this.channel;
    const streams = this.streams;
    if (!this.running || !channel || !streams) throw new Error('zygote is not running');
    const id = this.nextId++;
    const expected = streams.expect();
    const listenerUid = process.geteuid?.() ?? 0;
    const forked = await new Promise<Omit<ForkedChild, 'streams'>>((resolve, reject) => {
      this.forks.set(id, { resolve, reject });
      channel.write(encodeFrame({ type: ZygoteMessage.fork, id, socket: streams.address, token: expected.token, listenerUid, ...request }));
    }).catch((error: unknown) => {
      expected.abandon(error as Error);
      throw error;
    });
    void forked.exited.then(() => expected.abandon(new Error('the forked child exited before it connected its streams')));
    return { ...forked, streams: expected.connected };
  }

  /** The System V IPC objects `uid` created or owns in the zygote's IPC namespace. */
  listSysvIpc(uid: number): Promise<SysvIpcIds> {
    const channel = this.channel;
    if (!this.alive || !channel) return Promise.reject(new Error('zygote is not running'));
    const id = this.nextId++;
    return new Promise<SysvIpcIds>((resolve, reject) => {
      // A zygote that does not answer (its preloaded code holds it up) must not hold up its next child for ever.
      const timer = setTimeout(() => {
        this.ipcQueries.delete(id);
        reject(new Error(`the zygote did not list its IPC objects within ${ipcQueryTimeoutMs} ms`));
      }, ipcQueryTimeoutMs);
      timer.unref();
      this.ipcQueries.set(id, {
        resolve: (ids) => {
          clearTimeout(timer);
          resolve(ids);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const request: IpcObjectsRequest = { type: ZygoteMessage.ipcObjects, id, uid };
      channel.write(encodeFrame(request));
    });
  }

  /**
   * What a finished child left where all the zygote's children reach is being removed (`done`
   * true once it is); the next child to start waits for it, and a failure retires the zygote.
   */
  sweeping(done: Promise<boolean>): void {
    this.sharedSweeps.add(done);
    void done.then((emptied) => {
      this.sharedSweeps.delete(done);
      if (!emptied) this.tainted = true;
    });
  }

  /** True once nothing any finished child left is there for the next one; false when the zygote must serve no more. */
  async sharedSwept(): Promise<boolean> {
    if (this.sharedSweeps.size > 0) await Promise.all(this.sharedSweeps);
    return !this.tainted;
  }

  /** Closing the channel ends the zygote (it kills any child still running first). */
  stop(): void {
    this.stopRequested = true;
    const child = this.child;
    if (!child) return;
    // Whoever stops it may wait for `closed`: keep the event loop alive until the exit arrives.
    child.ref();
    this.channel?.destroy();
    if (this.alive && child.pid !== undefined) {
      try {
        // Inside bubblewrap this is bubblewrap itself: the zygote's pid namespace dies with it.
        process.kill(child.pid, 'SIGKILL');
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
      case ZygoteMessage.ipcObjects: {
        const waiter = this.ipcQueries.get(reply.id);
        this.ipcQueries.delete(reply.id);
        const ids = [reply.shm, reply.sem, reply.msg];
        if (ids.every((list) => Array.isArray(list) && list.every((value) => Number.isSafeInteger(value)))) {
          waiter?.resolve({ shm: reply.shm as number[], sem: reply.sem as number[], msg: reply.msg as number[] });
        } else waiter?.reject(new Error('the zygote listed its IPC objects in a form it should not'));
        return;
      }
      case ZygoteMessage.exited: {
        const waiter = this.exits.get(reply.pid);
        this.exits.delete(reply.pid);
        this.hostPids.delete(reply.pid);
        waiter?.resolve({ code: reply.code, signal: reply.signal === null ? null : (signalNames.get(reply.signal) ?? 'SIGKILL') });
        return;
      }
      default:
        return;
    }
  }

  /** The zygote is gone: no exit report will come, so its children are killed and reported killed. */
  private failAll(): void {
    for (const waiter of [...this.forks.values(), ...this.ipcQueries.values()]) waiter.reject(new Error('zygote exited'));
    this.forks.clear();
    this.ipcQueries.clear();
    for (const [pid, waiter] of this.exits) {
      // A sandboxed zygote's children died with its pid namespace; only known host pids are signalled.
      const hostPid = this.sandbox ? this.hostPids.get(pid) : pid;
      try {
        if (hostPid !== undefined) process.kill(-hostPid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
      waiter.resolve({ code: null, signal: 'SIGKILL' });
    }
    this.exits.clear();
    this.hostPids.clear();
  }

  /** Once its process is gone (or never started): the stream socket, its folder and the sandbox around it go. */
  private async release(): Promise<void> {
    this.streams?.close();
    await this.sandbox?.afterExit().catch((error: unknown) => this.spec.logger?.warn({ err: error, pack: this.spec.pack }, 'zygote sandbox left behind'));
    if (this.streamFolder) await rm(this.streamFolder, { recursive: true, force: true }).catch(() => undefined);
    this.markClosed();
  }

  private startError(reason: string): PackrunError {
    const stderr = this.stderrTail.trim();
    return new PackrunError('ZYGOTE_START_FAILED', `the Python zygote of pack "${this.spec.pack}" (${this.spec.python}) did not start: ${reason}${stderr ? `; its stderr: ${stderr}` : ''}`, {
      hint: 'the action runs with a cold start instead; check that the pack env works with `packrun run`',
      details: { pack: this.spec.pack, python: this.spec.python },
      userError: false,
    });
  }
}
