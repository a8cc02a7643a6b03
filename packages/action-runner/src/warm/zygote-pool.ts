import type { Logger } from '@packrun/core';
import { instanceId } from './instance-id.ts';
import { SpareChild } from './spare-child.ts';
import { removalsSettled } from './job-folder.ts';
import { ZygoteProcess, type ZygoteSpec } from './zygote-process.ts';

export interface ZygoteWanted extends Omit<ZygoteSpec, 'logger' | 'startTimeoutMs'> {
  /** What the zygote was built from (install record's env hash and installedAt, preload list):
   * when it changes, the pack was reinstalled and the old zygote is retired. */
  identity: string;
}

export interface ZygoteLease {
  zygote: ZygoteProcess;
  /** Its child forked ahead of the next execution. */
  spare: SpareChild;
  /** Each lease is released exactly once, when its execution has ended. */
  release(): void;
}

interface Entry {
  zygote: ZygoteProcess;
  spare: SpareChild;
  identity: string;
  leases: number;
  retired: boolean;
  idleTimer?: NodeJS.Timeout;
}

export interface ZygotePoolOptions {
  /** An unused zygote stops after this long. */
  idleMs: number;
  /** Longest wait for a zygote to import its modules and report ready. */
  startTimeoutMs?: number;
  logger?: Logger;
}

/** Zygotes differ by sandbox (none, or which one and with or without a network namespace). */
function zygoteKind(wanted: ZygoteWanted): string {
  const sandbox = wanted.sandbox;
  if (!sandbox) return 'unsandboxed';
  return `sandbox-${instanceId(sandbox.warm)}-${sandbox.warm.zygoteKind(sandbox.context)}`;
}

/**
 * At most one live zygote per pack, interpreter and kind of sandbox. A zygote that died is replaced on next use, a
 * reinstalled pack's is retired (it stops once its running executions end), and an idle one stops
 * after `idleMs`, so the memory held stays proportional to the packs in recent use.
 */
export class ZygotePool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ZygotePoolOptions) {}

  async acquire(wanted: ZygoteWanted): Promise<ZygoteLease> {
    const key = `${wanted.pack}\0${wanted.python}\0${zygoteKind(wanted)}`;
    let entry = this.entries.get(key);
    if (entry && (entry.identity !== wanted.identity || !entry.zygote.running)) {
      this.retire(key, entry);
      entry = undefined;
    }
    if (!entry) {
      const zygote = new ZygoteProcess({ ...wanted, startTimeoutMs: this.options.startTimeoutMs ?? 30_000, ...(this.options.logger ? { logger: this.options.logger } : {}) });
      entry = { zygote, spare: new SpareChild(zygote, this.options.logger), identity: wanted.identity, leases: 0, retired: false };
      this.entries.set(key, entry);
      const started = entry;
      void zygote.closed.then(() => {
        if (this.entries.get(key) === started) this.entries.delete(key);
        // A zygote that crashed took its spare child with it: the spare's cgroup, uid and job
        // folder go back now (retire does the same for a zygote it stops; when the crash was
        // seen first, nothing else would).
        started.spare.close().catch((error: unknown) => this.options.logger?.warn({ err: error, pack: zygote.spec.pack }, 'could not discard the spare child of a zygote that exited'));
      });
    }
    clearTimeout(entry.idleTimer);
    entry.leases++;
    entry.zygote.hold();
    const leased = entry;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      leased.zygote.letGo();
      this.release(key, leased);
    };
    try {
      await entry.zygote.ready;
    } catch (error) {
      release();
      this.retire(key, leased);
      throw error;
    }
    return { zygote: entry.zygote, spare: entry.spare, release };
  }

  /** Zygotes currently alive (started or starting). */
  get size(): number {
    return this.entries.size;
  }

  /** Host pids of the live zygote interpreters themselves (inside bubblewrap when sandboxed). */
  hostPids(): number[] {
    return [...this.entries.values()].flatMap((entry) => (entry.zygote.hostPid === undefined ? [] : [entry.zygote.hostPid]));
  }

  /** Pids of the live zygotes, for memory accounting. */
  pids(): number[] {
    return [...this.entries.values()].flatMap((entry) => (entry.zygote.pid === undefined ? [] : [entry.zygote.pid]));
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const entry of all) clearTimeout(entry.idleTimer);
    // Spares first: a sandboxed one's cgroup and uid are released once it is gone.
    await Promise.all(all.map((entry) => entry.spare.close()));
    for (const entry of all) entry.zygote.stop();
    await Promise.all(all.map((entry) => entry.zygote.closed));
    await removalsSettled();
  }

  private release(key: string, entry: Entry): void {
    entry.leases--;
    if (entry.leases > 0) return;
    if (entry.retired) {
      entry.zygote.stop();
      return;
    }
    entry.idleTimer = setTimeout(() => this.retire(key, entry), this.options.idleMs);
    entry.idleTimer.unref();
  }

  private retire(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
    entry.retired = true;
    clearTimeout(entry.idleTimer);
    const spareClosed = entry.spare.close().catch((error: unknown) => this.options.logger?.warn({ err: error, pack: entry.zygote.spec.pack }, 'could not discard a spare zygote child'));
    if (entry.leases === 0) void spareClosed.then(() => entry.zygote.stop());
  }
}
