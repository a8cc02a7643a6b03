import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { Logger, SpawnContext, SpawnDecorator, WrappedSpawn } from '@packrun/core';
import { instanceId } from './instance-id.ts';

export interface PrespawnSpec {
  command: string;
  args: string[];
  /** The environment it starts with; the job's own replaces it when the job arrives. */
  env: Record<string, string>;
  /** Give each process a random token as its last argument (the exec shim ends its script with it). */
  tokenArg?: boolean;
  /**
   * Under the sandbox: the decorator wraps it like a cold job of `context`'s pack and limits (its
   * uid, cgroup and bubblewrap are set up ahead too), with a job folder of its own in `jobsDir`.
   */
  sandbox?: { decorator: SpawnDecorator; context: SpawnContext; jobsDir: string };
}

/** A process started ahead, taken for one job. */
export interface PrespawnedJob {
  child: ChildProcess;
  /** Its token argument (tokenArg). */
  token?: string;
  /** The names in the environment it was started with. */
  startEnvNames: string[];
  /** What the sandbox set up around it; released once the job is over. */
  wrapped?: WrappedSpawn;
  /** Its job folder (sandboxed only): the job's HOME, TMPDIR and working folder. */
  jobDir?: string;
}

/** Jobs of one kind may share a process started ahead: same command and base environment, and under the sandbox the same pack and limits. */
function keyOf(spec: PrespawnSpec): string {
  const sandbox = spec.sandbox;
  let sandboxKey: unknown[] = [];
  if (sandbox) {
    const { pack, packDir, envDir, readOnlyDirs, limits } = sandbox.context;
    sandboxKey = [instanceId(sandbox.decorator), pack, packDir, envDir, readOnlyDirs, limits];
  }
  return JSON.stringify([spec.command, spec.args, spec.env, sandboxKey]);
}

/** Undoes what was set up around a process that will run no job, or has run its job. */
export async function releasePrespawned(job: Pick<PrespawnedJob, 'wrapped' | 'jobDir'>): Promise<Awaited<ReturnType<WrappedSpawn['afterExit']>> | undefined> {
  if (!job.wrapped) return undefined;
  try {
    await job.wrapped.killAll();
    return await job.wrapped.afterExit();
  } finally {
    if (job.jobDir) await rm(job.jobDir, { recursive: true, force: true });
  }
}

interface Waiting extends PrespawnedJob {
  idleTimer: NodeJS.Timeout;
}

/**
 * One single-use process per kind of job, started ahead and waiting for its job on fd 3, so
 * interpreter start-up (and under the sandbox, the uid, cgroup and bubblewrap set-up) is off the
 * critical path. The next one starts when a job of its kind ends; a waiting process that is not
 * taken within `idleMs` is stopped, one that died is dropped. They never keep the runtime's event
 * loop alive while they wait.
 */
export class PrespawnPool {
  private readonly waiting = new Map<string, Waiting>();
  private readonly starting = new Map<string, Promise<void>>();

  constructor(private readonly options: { idleMs: number; logger?: Logger }) {}

  /** The process waiting for this kind of job, if one is ready. */
  take(spec: PrespawnSpec): PrespawnedJob | undefined {
    const key = keyOf(spec);
    const entry = this.waiting.get(key);
    this.waiting.delete(key);
    if (!entry) return undefined;
    clearTimeout(entry.idleTimer);
    const { child } = entry;
    if (child.exitCode !== null || child.signalCode !== null) {
      void this.release(entry);
      return undefined;
    }
    child.ref();
    for (const stream of [child.stdout, child.stderr, child.stdio[3]] as Socket[]) stream.ref();
    const { idleTimer: _idleTimer, ...job } = entry;
    return job;
  }

  /** Pids of the processes waiting, for memory accounting. */
  pids(): number[] {
    return [...this.waiting.values()].flatMap((entry) => (entry.child.pid === undefined ? [] : [entry.child.pid]));
  }

  async close(): Promise<void> {
    // One still starting would otherwise be left waiting after the close.
    await Promise.all(this.starting.values());
    const all = [...this.waiting.values()];
    this.waiting.clear();
    await Promise.all(all.map((entry) => this.stop(entry)));
  }

  /**
   * Starts the next process for this kind of job, unless one waits or starts already. Called when
   * a job of that kind has ended: a replacement booting while the job runs would take CPU from it.
   */
  replenish(spec: PrespawnSpec): void {
    const key = keyOf(spec);
    if (this.waiting.has(key) || this.starting.has(key)) return;
    this.starting.set(
      key,
      this.start(spec, key)
        .catch((error: unknown) => this.options.logger?.warn({ err: error }, 'could not start a wrapper ahead'))
        .finally(() => this.starting.delete(key)),
    );
  }

  private async start(spec: PrespawnSpec, key: string): Promise<void> {
    const token = spec.tokenArg ? randomBytes(16).toString('hex') : undefined;
    const args = token ? [...spec.args, token] : spec.args;
    let launch = { command: spec.command, args, env: spec.env, cwd: '/' };
    let wrapped: WrappedSpawn | undefined;
    let jobDir: string | undefined;
    if (spec.sandbox) {
      const id = `prespawn-${randomBytes(8).toString('hex')}`;
      jobDir = path.join(spec.sandbox.jobsDir, id);
      await mkdir(jobDir, { recursive: true, mode: 0o700 });
      try {
        wrapped = await spec.sandbox.decorator.wrap({ command: spec.command, args, env: spec.env, cwd: jobDir, context: { ...spec.sandbox.context, jobDir, executionId: id } });
      } catch (error) {
        await rm(jobDir, { recursive: true, force: true });
        throw error;
      }
      launch = { command: wrapped.command, args: wrapped.args, env: wrapped.env, cwd: jobDir };
    }
    const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    child.unref();
    for (const stream of [child.stdout, child.stderr, child.stdio[3]] as Socket[]) stream.unref();
    const idleTimer = setTimeout(() => void this.stopWaiting(key, child), this.options.idleMs);
    idleTimer.unref();
    const entry: Waiting = {
      child,
      idleTimer,
      startEnvNames: Object.keys(launch.env),
      ...(token ? { token } : {}),
      ...(wrapped ? { wrapped } : {}),
      ...(jobDir ? { jobDir } : {}),
    };
    child.once('error', () => void this.stopWaiting(key, child));
    child.once('exit', () => void this.stopWaiting(key, child));
    this.waiting.set(key, entry);
  }

  /** A waiting process that idled out or died: gone from the pool, and what was set up around it released. */
  private async stopWaiting(key: string, child: ChildProcess): Promise<void> {
    const entry = this.waiting.get(key);
    if (entry?.child !== child) return;
    this.waiting.delete(key);
    await this.stop(entry);
  }

  private async stop(entry: Waiting): Promise<void> {
    clearTimeout(entry.idleTimer);
    entry.child.kill('SIGKILL');
    await this.release(entry);
  }

  private async release(entry: PrespawnedJob): Promise<void> {
    await releasePrespawned(entry).catch((error: unknown) => this.options.logger?.warn({ err: error }, 'could not release a wrapper started ahead'));
  }
}
