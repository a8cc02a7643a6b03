import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore, type ExecutionRecord } from '@packrun/core';
import { runWithCore } from './core-child.ts';
import { storeContract } from './store-contract.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-embedded-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
describe('embedded store contract', () => {
  storeContract(() => openEmbeddedStore({ dir: path.join(root, `store-${(n += 1)}`) }));
});

const record: ExecutionRecord = {
  id: 'ex-1',
  action: 'core.echo',
  pack: 'core',
  parameters: {},
  status: 'succeeded',
  log: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  context: {},
};

describe('embedded store on disk', () => {
  it('keeps records across close and reopen, in one database file', async () => {
    const dir = path.join(root, 'persist');
    const first = await openEmbeddedStore({ dir });
    await first.executions.insert(record);
    await first.executions.update({ id: 'ex-1' }, { set: { runnerId: 'r9' } });
    await first.keyValues.insert({ id: 'system:a', name: 'a', scope: 'system', value: '1', secret: false, createdAt: record.createdAt, updatedAt: record.createdAt });
    await first.close();
    expect(existsSync(path.join(dir, 'packrun.sqlite'))).toBe(true);
    // A clean close folds the write-ahead log into the database.
    expect(existsSync(path.join(dir, 'packrun.sqlite-wal'))).toBe(false);
    expect(existsSync(path.join(dir, '.lock'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'store.json'), 'utf8'))).toMatchObject({ format: 'packrun-sqlite', open: false });

    const second = await openEmbeddedStore({ dir });
    expect(await second.executions.get('ex-1')).toEqual({ ...record, runnerId: 'r9' });
    expect(await second.keyValues.count({})).toBe(1);
    await second.close();
  });

  it('has every change on disk once its operation resolved: a copy taken mid-run opens with all of them', async () => {
    const dir = path.join(root, 'crash');
    const store = await openEmbeddedStore({ dir });
    await store.executions.insert(record);
    await store.executions.insert({ ...record, id: 'ex-2' });
    await store.executions.updateOne({ id: 'ex-1' }, { set: { runnerId: 'r1' } });
    await store.executions.remove({ id: 'ex-2' });
    // As if the process died now: its files as they are, the log not folded in, opened elsewhere.
    const copy = path.join(root, 'crash-copy');
    mkdirSync(copy);
    for (const file of ['packrun.sqlite', 'packrun.sqlite-wal', 'store.json']) copyFileSync(path.join(dir, file), path.join(copy, file));
    const reopened = await openEmbeddedStore({ dir: copy });
    expect(await reopened.executions.find({})).toEqual([{ ...record, runnerId: 'r1' }]);
    await reopened.close();
    await store.close();
  });

  it('refuses use after close', async () => {
    const store = await openEmbeddedStore({ dir: path.join(root, 'closed') });
    await store.close();
    await expect(store.executions.get('x')).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('locks the folder against a second opener in this process and in another', async () => {
    const dir = path.join(root, 'locked');
    const store = await openEmbeddedStore({ dir });
    await expect(openEmbeddedStore({ dir })).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    const other = runWithCore(`import { openEmbeddedStore } from '@packrun/core';
      try { await openEmbeddedStore({ dir: ${JSON.stringify(dir)} }); console.log('opened'); }
      catch (error) { console.log(error.code); }`);
    expect(other.stdout.trim()).toBe('STORE_LOCKED');
    // The records of the first opener are untouched.
    await store.executions.insert(record);
    await store.close();
    const reopened = await openEmbeddedStore({ dir });
    expect(await reopened.executions.count({})).toBe(1);
    await reopened.close();
  });
});

describe('embedded store blobs', () => {
  it('keeps blobs as files under store/blobs/<execution>, and removes at open the folders of executions no longer stored', async () => {
    const dir = path.join(root, 'blobs');
    let store = await openEmbeddedStore({ dir });
    await store.executions.insert(record);
    const ref = await store.executionBlobs.put(record.id, 'stdout', 'kept output');
    const orphan = await store.executionBlobs.put('gone-execution', 'stdout', 'orphaned output');
    expect(readFileSync(path.join(dir, 'blobs', record.id, ref.$blob), 'utf8')).toBe('kept output');
    expect(existsSync(path.join(dir, 'blobs', 'gone-execution', orphan.$blob))).toBe(true);
    // A write cut short by a crash leaves a temporary file.
    writeFileSync(path.join(dir, 'blobs', record.id, 'stdout-0000000000000000.tmp'), 'half');
    await store.close();

    store = await openEmbeddedStore({ dir });
    expect(existsSync(path.join(dir, 'blobs', 'gone-execution'))).toBe(false);
    expect(readdirSync(path.join(dir, 'blobs', record.id))).toEqual([ref.$blob]);
    await store.close();
  });
});
