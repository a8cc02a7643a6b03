import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { storeContract } from './store-contract.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-embedded-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
describe('embedded store contract', () => {
  storeContract(() => openEmbeddedStore({ dir: path.join(root, `store-${(n += 1)}`) }));
});

describe('embedded store on disk', () => {
  const record = {
    id: 'ex-1',
    action: 'core.echo',
    pack: 'core',
    parameters: {},
    status: 'succeeded' as const,
    log: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    context: {},
  };

  it('keeps records across close and reopen, one data file per collection', async () => {
    const dir = path.join(root, 'persist');
    const first = await openEmbeddedStore({ dir });
    await first.executions.insert(record);
    await first.executions.update({ id: 'ex-1' }, { set: { runnerId: 'r9' } });
    await first.keyValues.insert({ id: 'system:a', name: 'a', scope: 'system', value: '1', secret: false, createdAt: record.createdAt, updatedAt: record.createdAt });
    await first.close();
    expect(existsSync(path.join(dir, 'executions.db'))).toBe(true);
    expect(existsSync(path.join(dir, '.lock'))).toBe(false);

    const second = await openEmbeddedStore({ dir });
    expect(await second.executions.get('ex-1')).toEqual({ ...record, runnerId: 'r9' });
    expect(await second.keyValues.count({})).toBe(1);
    await second.close();
  });

  it('has every change on disk once its operation resolved, before any compaction', async () => {
    const dir = path.join(root, 'crash');
    const store = await openEmbeddedStore({ dir, compactionIntervalMs: 5_000 });
    await store.executions.insert(record);
    await store.executions.insert({ ...record, id: 'ex-2' });
    await store.executions.updateOne({ id: 'ex-1' }, { set: { runnerId: 'r1' } });
    const recordLines = (): number => readFileSync(path.join(dir, 'executions.db'), 'utf8').split('\n').filter((line) => line.includes('"_id"')).length;
    expect(recordLines()).toBe(3);
    await retryUntil(() => recordLines() === 2, { withinMs: 15_000, what: 'periodic compaction' });
    // Changes after a compaction land in the rewritten file too.
    await store.executions.remove({ id: 'ex-2' });
    await store.executions.update({ id: 'ex-1' }, { set: { durationMs: 7 } });
    // As if the process died now: a copy of the folder as it is, opened elsewhere.
    const copy = path.join(root, 'crash-copy');
    cpSync(dir, copy, { recursive: true, filter: (source) => !source.endsWith('.lock') });
    const reopened = await openEmbeddedStore({ dir: copy });
    expect(await reopened.executions.find({})).toEqual([{ ...record, runnerId: 'r1', durationMs: 7 }]);
    await reopened.close();
    await store.close();
  });

  it('compacts its files periodically and on close: one line per live record', async () => {
    const dir = path.join(root, 'compact');
    const store = await openEmbeddedStore({ dir, compactionIntervalMs: 5_000 });
    await store.executions.insert(record);
    for (let i = 0; i < 50; i += 1) await store.executions.update({ id: 'ex-1' }, { set: { durationMs: i } });
    const file = path.join(dir, 'executions.db');
    const recordLines = (): number => readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"_id"')).length;
    expect(recordLines()).toBe(51);
    await retryUntil(() => recordLines() === 1, { withinMs: 15_000, what: 'periodic compaction' });
    await store.executions.update({ id: 'ex-1' }, { set: { durationMs: 99 } });
    await store.close();
    expect(recordLines()).toBe(1);
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

    const script = `import { openEmbeddedStore } from '@packrun/core';
      try { await openEmbeddedStore({ dir: ${JSON.stringify(dir)} }); console.log('opened'); }
      catch (error) { console.log(error.code); }`;
    const other = spawnSync(process.execPath, ['--import', 'tsx', '--conditions', 'source', '--input-type=module', '-e', script], {
      cwd: path.dirname(fileURLToPath(import.meta.url)),
      encoding: 'utf8',
    });
    expect(other.stdout.trim()).toBe('STORE_LOCKED');
    // The records of the first opener are untouched.
    await store.executions.insert(record);
    await store.close();
    const reopened = await openEmbeddedStore({ dir });
    expect(await reopened.executions.count({})).toBe(1);
    await reopened.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = path.join(root, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '.lock'), JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const store = await openEmbeddedStore({ dir });
    await store.ping();
    await store.close();
  });
});
