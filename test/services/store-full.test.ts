import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, newId, type ExecutionRecord, type St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { homeWithPacks } from '../runner/fixtures.ts';
import { startPackrun } from './packrun-process.ts';

// A full disk under the embedded store, for real: the store folder is a 24 MiB tmpfs mounted for
// this test (it runs as root), filled with a file until the kernel answers ENOSPC. A write the
// disk refuses ends the execution it was for with STORE_FULL, an API call it hit answers 507, and
// a retry with the client's id after space is back gets the one execution, never a duplicate.

const root = process.getuid?.() === 0;
if (!root) console.log('skipping the full-disk tests: mounting a small filesystem needs root');

let stack: ServiceStack;
let mountPoint: string;
let filler: string;

/** Appends `block`s to the file until its filesystem refuses. */
function fillWith(block: Buffer, file = filler): void {
  const fd = openSync(file, 'a');
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

/** Fills the filesystem to the last page, then gives back `free` bytes of it. */
function fillLeaving(free: number): void {
  fillWith(Buffer.alloc(64 * 1024, 1));
  fillWith(Buffer.alloc(4096, 1));
  truncateSync(filler, statSync(filler).size - free);
}

function emptyFiller(): void {
  truncateSync(filler, 0);
}

async function settled(id: string): Promise<ExecutionRecord> {
  let record: ExecutionRecord | undefined;
  await retryUntil(async () => {
    record = await stack.store.executions.get(id);
    return record !== undefined && isCompleted(record.status);
  }, { withinMs: 60_000, what: `execution ${id} to end` });
  return record!;
}

describe.skipIf(!root)('a full disk under the embedded store', () => {
  beforeAll(async () => {
    stack = await startStack({
      packs: ['core'],
      beforeStore: (home) => {
        mountPoint = home.paths.store;
        mkdirSync(mountPoint, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mountPoint]);
        filler = `${mountPoint}/filler`;
      },
    });
  }, 240_000);

  afterAll(async () => {
    if (filler) emptyFiller();
    await stack?.close();
    if (mountPoint) execFileSync('umount', [mountPoint]);
  });

  it('answers 507 STORE_FULL to a create the store cannot hold, stores nothing, and a retry with the same id after space is back creates it once', async () => {
    const id = `retry-${newId()}`;
    const body = { id, action: 'core.local', parameters: { cmd: 'true', env: { PADDING: 'p'.repeat(120_000), MORE: 'm'.repeat(120_000) } } };
    fillLeaving(32 * 1024);
    const refused = await stack.call('POST', '/api/v1/executions', body);
    expect(refused.statusCode, refused.body).toBe(507);
    expect(refused.json()).toMatchObject({ code: 'STORE_FULL' });
    expect(await stack.store.executions.get(id)).toBeUndefined();
    expect(await stack.store.executions.count({ status: { $in: ['requested', 'scheduled', 'running'] } })).toBe(0);

    emptyFiller();
    const created = await stack.call('POST', '/api/v1/executions', body);
    expect(created.statusCode, created.body).toBe(201);
    const again = await stack.call('POST', '/api/v1/executions', body);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<St2Execution>().id).toBe(id);
    const [third, fourth] = await Promise.all([stack.call('POST', '/api/v1/executions', body), stack.call('POST', '/api/v1/executions', body)]);
    expect([third.statusCode, fourth.statusCode]).toEqual([200, 200]);
    expect(await stack.store.executions.count({ id })).toBe(1);
    expect((await settled(id)).status).toBe('succeeded');

    // The same id for another action is another request: refused, not answered with this one.
    const other = await stack.call('POST', '/api/v1/executions', { id, action: 'core.noop' });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'EXECUTION_EXISTS' });
  }, 120_000);

  it('ends an execution whose output the disk cannot hold failed with STORE_FULL, and the store works on once space is back', async () => {
    fillLeaving(1024 * 1024);
    const created = await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'head -c 3000000 /dev/zero | tr "\\0" x' } });
    expect(created.statusCode, created.body).toBe(201);
    const record = await settled(created.json<St2Execution>().id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ type: 'STORE_FULL' });
    expect(record.error?.message).toMatch(/disk is full/);

    emptyFiller();
    const next = await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'head -c 3000000 /dev/zero | tr "\\0" x' } });
    const done = await settled(next.json<St2Execution>().id);
    expect(done.status).toBe('succeeded');
    expect(done.outputSize?.stdout).toBe(3_000_000);
  }, 120_000);

  it('keeps an execution whose end even a small write cannot record, and stores its result once space is back', async () => {
    const created = await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'sleep 2; head -c 300000 /dev/zero | tr "\\0" y' } });
    const id = created.json<St2Execution>().id;
    await retryUntil(async () => (await stack.store.executions.get(id))?.status === 'running', { withinMs: 30_000, what: 'running' });
    fillLeaving(0);
    // The action ends meanwhile; neither its output nor the failure the ledger makes of it fits.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect((await stack.store.executions.get(id))?.status).toBe('running');
    emptyFiller();
    const record = await settled(id);
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    expect(record.outputSize?.stdout).toBe(300_000);
  }, 120_000);
});

describe.skipIf(!root)('packrun up on a full store disk', () => {
  it('exits 3 (not available now) with STORE_FULL naming the store folder, without a stack trace', async () => {
    const home = await homeWithPacks(['core']);
    const store = home.paths.store;
    mkdirSync(store, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', store]);
    try {
      fillWith(Buffer.alloc(4096, 1), `${store}/filler`);
      const server = startPackrun(['up'], { ...home.env, PACKRUN_API_PORT: '0' });
      const code = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
      if (code === 'still running') server.signal('SIGKILL');
      expect(code, server.output()).toBe(3);
      expect(server.output()).toContain('STORE_FULL');
      expect(server.output()).toContain(store);
      expect(server.output()).not.toMatch(/\n\s+at /);
    } finally {
      execFileSync('umount', [store]);
    }
  }, 120_000);
});
