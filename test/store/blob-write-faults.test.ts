import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus, createLogger, isPackrunError, newId, nowIso, openEmbeddedStore, type Store } from '@packrun/core';
import { createStoreLedger } from '@packrun/action-runner';

// Blob writes on filesystems that refuse them, for real: a 1 MiB tmpfs (ENOSPC) and a read-only
// bind mount (EROFS, standing for the disk errors no test can cause on purpose: EIO, EDQUOT under
// a root that quotas do not bind). Mounting needs root.

const root = process.getuid?.() === 0;
if (!root) console.log('skipping the blob write fault tests: mounting needs root');

const logger = createLogger({ level: 'silent' });
const mounts: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const mountPoint of mounts.splice(0)) execFileSync('umount', [mountPoint]);
});

/** An embedded store whose blobs folder is the filesystem `mount` makes. */
async function storeWithBlobsOn(mount: (blobs: string) => void): Promise<{ store: Store; blobs: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-blob-faults-'));
  const blobs = path.join(dir, 'blobs');
  mkdirSync(blobs);
  mount(blobs);
  mounts.push(blobs);
  const store = await openEmbeddedStore({ dir, logger });
  stores.push(store);
  return { store, blobs };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isPackrunError(error) ? error.code : `not a PackrunError: ${String(error)}`;
  }
  return 'no error';
}

describe.skipIf(!root)('blob writes the disk refuses', () => {
  it('a full disk is STORE_FULL, and the part written is given back at once', async () => {
    const { store, blobs } = await storeWithBlobsOn((where) => execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', where]));
    const free = statfsSync(blobs).bavail;
    expect(await codeOf(store.executionBlobs.put('ex-full', 'stdout', 'x'.repeat(2 * 1024 * 1024)))).toBe('STORE_FULL');
    expect(readdirSync(path.join(blobs, 'ex-full'))).toEqual([]);
    expect(statfsSync(blobs).bavail).toBe(free);
    const ref = await store.executionBlobs.put('ex-small', 'stdout', 'fits');
    expect(ref.size).toBe(4);
  });

  it('a disk refusing writes is STORE_WRITE_FAILED, and the ledger ends the execution failed with it', async () => {
    const { store } = await storeWithBlobsOn((where) => {
      execFileSync('mount', ['--bind', where, where]);
      execFileSync('mount', ['-o', 'remount,bind,ro', where]);
    });
    expect(await codeOf(store.executionBlobs.put('ex-ro', 'stdout', 'x'))).toBe('STORE_WRITE_FAILED');

    const bus = createInProcessBus({ logger });
    const ledger = createStoreLedger({ store, bus, logger, staleAfterMs: 60_000, openSecrets: () => ({}), resultInlineBytes: 1024 });
    const id = newId();
    await store.executions.insert({ id, action: 'core.local', pack: 'core', parameters: {}, status: 'scheduled', log: [], createdAt: nowIso(), context: {} });
    expect((await ledger.claim({ executionId: id, runnerId: 'r1', redelivered: false })).decision).toBe('run');
    await ledger.complete({ executionId: id, runnerId: 'r1', outcome: { status: 'succeeded', result: { stdout: 'o'.repeat(100_000), stderr: '', exit_code: 0 }, durationMs: 5 } });
    const record = await store.executions.get(id);
    expect(record?.status).toBe('failed');
    expect(record?.error).toMatchObject({ type: 'STORE_WRITE_FAILED' });
    expect(record?.durationMs).toBe(5);
    await bus.close();
  });
});
