import { randomInt } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * One uid per running job, taken from the operator's range. A uid of its own means a job cannot
 * signal or ptrace another job, RLIMIT_NPROC counts only its own processes, and when there is no
 * cgroup the job's whole tree can still be found and killed by uid. Uids are picked at random
 * within the range (skipping those this process holds) so separate runner processes on one host
 * rarely meet; a clash only costs the per-job separation, never the runtime's.
 */
export class UidPool {
  private readonly held = new Set<number>();

  constructor(
    readonly first: number,
    readonly count: number,
  ) {}

  take(): number {
    if (this.held.size >= this.count) throw new Error(`all ${this.count} sandbox uids from ${this.first} are in use`);
    for (;;) {
      const uid = this.first + randomInt(this.count);
      if (!this.held.has(uid)) {
        this.held.add(uid);
        return uid;
      }
    }
  }

  release(uid: number): void {
    this.held.delete(uid);
  }
}

/** Live (not zombie) processes running as `uid`. */
export async function pidsOfUid(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const lines = status.split('\n');
    // A zombie is already dead; it only waits for its parent to reap it.
    if (lines.find((l) => l.startsWith('State:'))?.includes('Z')) continue;
    const uids = lines.find((l) => l.startsWith('Uid:'));
    // Real, effective, saved or filesystem uid: any of them means the process belongs to the job.
    if (uids && uids.split(/\s+/).slice(1).map(Number).includes(uid)) pids.push(Number(entry));
  }
  return pids;
}

/** SIGKILLs every process running as `uid` until none is left. */
export async function killUid(uid: number): Promise<void> {
  for (let round = 0; round < 200; round++) {
    const pids = await pidsOfUid(uid);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await delay(Math.min(2 + round, 20));
  }
  throw new Error(`processes of uid ${uid} survive repeated SIGKILL`);
}
