import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, currentProcessIdentity, parseProcessIdentity, whyProcessIsGone, type DataPaths, type ProcessIdentity } from '@packrun/core';

interface LockOwner extends ProcessIdentity {
  since: string;
}

export interface LockOptions {
  /** How long to wait for another install of the same pack; default 15 minutes (a slow pip build). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once per pack whose lock is held by someone else, before waiting for it. */
  onWait?: (ref: string) => void;
}

const pollMs = 100;

function lockFile(paths: DataPaths, ref: string): string {
  return path.join(paths.home, 'locks', `${ref}.lock`);
}


async function tryAcquire(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    const owner: LockOwner = { ...currentProcessIdentity(), since: new Date().toISOString() };
    await handle.writeFile(JSON.stringify(owner));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * A lock left by a process that died is taken over. The stale file is first renamed to a name of
 * our own, so that of two processes noticing the same stale lock only one removes it.
 */
async function removeIfStale(file: string): Promise<void> {
  let owner: ProcessIdentity | undefined;
  try {
    owner = parseProcessIdentity(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    // Being written right now, or already gone: look again on the next poll.
    return;
  }
  // A pid alone is not enough: it may now belong to another process, or be our own pid in a
  // restarted container (whyProcessIsGone compares start times and boot ids).
  if (owner === undefined || whyProcessIsGone(owner) === undefined) return;
  const claimed = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(file, claimed);
  } catch {
    return;
  }
  await rm(claimed, { force: true });
}

async function acquire(file: string, ref: string, deadline: number, options: LockOptions, holder: string): Promise<void> {
  const { signal } = options;
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    if (await tryAcquire(file)) return;
    await removeIfStale(file);
    if (await tryAcquire(file)) return;
    if (attempt === 0) options.onWait?.(ref);
    signal?.throwIfAborted();
    if (Date.now() > deadline) {
      throw new PackrunError('PACK_LOCKED', `${holder} is still running`, {
        hint: `wait for it to finish; if no packrun process is running, remove ${file}`,
        details: { pack: ref, lockFile: file },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Runs `work` while holding the install lock of every pack in `refs` (a lock file per pack in
 * PACKRUN_HOME/locks, exclusive across processes). Locks are taken in sorted order so that two
 * installs needing overlapping packs cannot deadlock; different packs install in parallel.
 */
export async function withPackLocks<T>(paths: DataPaths, refs: Iterable<string>, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const sorted = [...new Set(refs)].sort();
  return withLockFiles(sorted.map((ref) => ({ file: lockFile(paths, ref), name: ref, holder: `another install or removal of pack "${ref}"` })), work, options);
}

/**
 * The same locks for anything else shared across processes: each `file` is taken in the order
 * given (callers sort them); `name` is what `onWait` gets, `holder` what PACK_LOCKED says is running.
 */
export async function withLockFiles<T>(locks: Array<{ file: string; name: string; holder: string }>, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const held: string[] = [];
  try {
    for (const { file, name, holder } of locks) {
      await acquire(file, name, deadline, options, holder);
      held.push(file);
    }
    return await work();
  } finally {
    for (const file of held.reverse()) await rm(file, { force: true });
  }
}
