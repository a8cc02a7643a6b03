import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PackrunError } from '../errors.ts';

/**
 * An exclusive lock on the embedded store folder. NeDB keeps the whole data set in memory and
 * rewrites its files on compaction, so two processes on the same files would silently lose each
 * other's writes. A lock left by a process that no longer exists (on this host) is taken over.
 */
export interface StoreLock {
  release(): void;
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export function lockStore(dir: string): StoreLock {
  const file = path.join(dir, '.lock');
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      const stale = owner !== undefined && owner.host === me.host && owner.pid !== process.pid && !isAlive(owner.pid);
      if (stale && attempt === 0) {
        unlinkSync(file);
        continue;
      }
      const who = owner === undefined ? 'another process' : `process ${owner.pid} on ${owner.host} (since ${owner.since})`;
      throw new PackrunError('STORE_LOCKED', `the embedded store in ${dir} is in use by ${who}`, {
        hint: 'only one Packrun process may open the embedded store: stop the other one (`packrun up` runs every service in one process), or use MongoDB for several processes',
        details: { dir, lockFile: file, owner },
      });
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return {
      release() {
        if (readOwner(file)?.pid === process.pid) unlinkSync(file);
      },
    };
  }
  throw new PackrunError('STORE_LOCKED', `the embedded store in ${dir} could not be locked`, { details: { dir, lockFile: file } });
}
