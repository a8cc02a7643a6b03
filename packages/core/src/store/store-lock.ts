import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PackrunError } from '../errors.ts';
import { currentProcessIdentity, parseProcessIdentity, whyProcessIsGone, type ProcessIdentity } from '../process/process-identity.ts';

/**
 * An exclusive lock on the embedded store folder: one Packrun process owns the store, so services
 * never run twice over the same data. The lock file `.lock` says who holds it (ProcessIdentity:
 * pid, start time, boot id, host name) and is stale once that process no longer runs
 * (whyProcessIsGone), our own pid included.
 */
export interface StoreLock {
  release(): void;
}

interface LockOwner extends ProcessIdentity {
  since: string;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { since?: unknown };
    const identity = parseProcessIdentity(parsed);
    return identity === undefined ? undefined : { ...identity, since: String(parsed.since) };
  } catch {
    return undefined;
  }
}

function lockedError(dir: string, file: string, owner: LockOwner | undefined): PackrunError {
  const who = owner === undefined ? 'another process' : `process ${owner.pid} on ${owner.host} (since ${owner.since})`;
  return new PackrunError('STORE_LOCKED', `the embedded store in ${dir} is in use by ${who}`, {
    hint: `only one Packrun process may open the embedded store: stop the other one (\`packrun up\` runs every service in one process), or use MongoDB for several processes; if no such process runs, remove ${file}`,
    details: { dir, lockFile: file, owner },
  });
}

/**
 * Creates the lock file with its whole content at once: written under a name of our own, then
 * hard-linked to `.lock`, which fails if a lock exists. A lock file is never seen half written.
 */
function createLock(file: string, owner: LockOwner): boolean {
  const draft = `${file}.${owner.pid}.new`;
  writeFileSync(draft, JSON.stringify(owner), { mode: 0o600 });
  try {
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

/**
 * Moves a lock judged stale out of the way. It is moved aside under a name of our own and checked
 * there: of two processes taking over the same stale lock at once, the slower one would otherwise
 * remove the new lock of the faster. Returns false when what it moved was not the lock it judged.
 */
function removeStale(file: string, judged: LockOwner): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const moved = readOwner(aside);
  const same = moved?.pid === judged.pid && moved.since === judged.since;
  if (!same) {
    try {
      linkSync(aside, file);
    } catch {
      // A newer lock is in place already: it stays, the one moved aside goes.
    }
  }
  unlinkSync(aside);
  return same;
}

export function lockStore(dir: string, logger?: { warn(obj: object, msg: string): void }): StoreLock {
  const file = path.join(dir, '.lock');
  const me: LockOwner = { ...currentProcessIdentity(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    if (createLock(file, me)) {
      return {
        release() {
          const holder = readOwner(file);
          if (holder?.pid === me.pid && holder.since === me.since) unlinkSync(file);
        },
      };
    }
    const owner = readOwner(file);
    const reason = owner === undefined ? undefined : whyProcessIsGone(owner, me);
    if (owner === undefined || reason === undefined || attempt > 0 || !removeStale(file, owner)) throw lockedError(dir, file, readOwner(file) ?? owner);
    logger?.warn({ lockFile: file, owner, reason }, 'took over a stale store lock');
  }
  throw lockedError(dir, file, readOwner(file));
}
