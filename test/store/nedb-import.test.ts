import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '@packrun/core';

// The store folder of an earlier Packrun: NeDB files written here line by line, as NeDB wrote them
// (no NeDB needed to read them any more).

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-nedb-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const at = '2026-01-01T00:00:00.000Z';
const execution = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  _id: id,
  action: 'core.echo',
  pack: 'core',
  parameters: { message: id },
  status: 'succeeded',
  log: [{ status: 'requested', at }],
  createdAt: at,
  context: {},
  ...extra,
});

/** JSON nested `depth` objects deep, written as text (JSON.stringify would overflow the stack first). */
const deepJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

function oldStore(): { dir: string; lines: string[] } {
  const dir = path.join(root, `store-${(n += 1)}`);
  mkdirSync(dir, { recursive: true });
  const lines = [
    JSON.stringify({ $$indexCreated: { fieldName: 'createdAt', unique: false, sparse: false } }),
    JSON.stringify(execution('ex-a', { status: 'running' })),
    JSON.stringify(execution('ex-b')),
    // NeDB split its lines at these, losing the record: read whole here.
    JSON.stringify(execution('ex-odd', { parameters: { message: 'one\u2028two\u2029three\u0085four' }, result: { 'key\u2028': 'v\u2029' } })),
    JSON.stringify(execution('ex-a', { status: 'succeeded', runnerId: 'r1' })),
    JSON.stringify({ _id: 'ex-b', $$deleted: true }),
    '{"_id":"ex-garbage","action":',
    'garbage that is not JSON',
    `{"_id":"ex-deep","parameters":${deepJson(3000)}}`,
    JSON.stringify(execution('ex-date', { createdAt: { $$date: Date.parse(at) } })),
    JSON.stringify({ $$indexRemoved: 'createdAt' }),
    '',
    // The last line, cut by a crash in the middle of an append (no line end).
    '{"_id":"ex-cut","action":"core.ec',
  ];
  writeFileSync(path.join(dir, 'executions.db'), lines.join('\n'));
  // A compaction that crashed after writing its new file and before renaming it: NeDB itself
  // would have used the ~ file.
  writeFileSync(path.join(dir, 'key_values.db~'), `${JSON.stringify({ _id: 'system:k', name: 'k', scope: 'system', value: 'v', secret: false, createdAt: at, updatedAt: at })}\n`);
  writeFileSync(
    path.join(dir, 'api_keys.db'),
    `${[
      JSON.stringify({ $$indexCreated: { fieldName: 'keyHash', unique: true, sparse: false } }),
      JSON.stringify({ _id: 'k1', keyHash: 'h', user: 'admin', enabled: true, createdAt: at }),
      JSON.stringify({ _id: 'k2', keyHash: 'h', user: 'other', enabled: true, createdAt: at }),
    ].join('\n')}\n`,
  );
  writeFileSync(path.join(dir, 'packs.db'), '');
  return { dir, lines };
}

describe('import of an earlier version store (NeDB)', () => {
  it('imports every readable record once, keeps the old files aside and reports what it could not read, by line', async () => {
    const { dir } = oldStore();
    const progress: string[] = [];
    const store = await openEmbeddedStore({ dir, progress: (line) => progress.push(line) });

    expect((await store.executions.find({}, { sort: { id: 1 } })).map((record) => record.id)).toEqual(['ex-a', 'ex-date', 'ex-odd']);
    expect(await store.executions.get('ex-a')).toMatchObject({ status: 'succeeded', runnerId: 'r1' });
    expect(await store.executions.get('ex-odd')).toMatchObject({ parameters: { message: 'one\u2028two\u2029three\u0085four' }, result: { 'key\u2028': 'v\u2029' } });
    expect((await store.executions.get('ex-date'))?.createdAt).toBe(at);
    // The imported records are found through the indexed columns too.
    expect((await store.executions.find({ status: 'succeeded' })).length).toBe(3);
    expect((await store.keyValues.get('system:k'))?.value).toBe('v');
    expect((await store.apiKeys.find({})).map((key) => key.id)).toEqual(['k1']);

    const kept = readdirSync(dir).filter((name) => name.startsWith('nedb-imported-'));
    expect(kept).toHaveLength(1);
    const folder = path.join(dir, kept[0] ?? '');
    expect(readdirSync(folder).sort()).toEqual(['api_keys.db', 'executions.db', 'import-report.json', 'key_values.db~', 'packs.db']);
    expect(readdirSync(dir).filter((name) => name.endsWith('.db') || name.endsWith('.db~'))).toEqual([]);

    const report = JSON.parse(readFileSync(path.join(folder, 'import-report.json'), 'utf8')) as Array<{ collection: string; records: number; unreadable: number; unreadableLines: Array<{ line: number; problem: string }> }>;
    const executions = report.find((entry) => entry.collection === 'executions');
    expect(executions).toMatchObject({ records: 3, unreadable: 4 });
    expect(executions?.unreadableLines.map((entry) => entry.line)).toEqual([7, 8, 9, 13]);
    expect(executions?.unreadableLines[2]?.problem).toContain('nested more than 100 levels');
    expect(report.find((entry) => entry.collection === 'apiKeys')).toMatchObject({ records: 1, unreadable: 1, unreadableLines: [{ line: 3 }] });

    expect(progress[0]).toContain('importing the store of an earlier Packrun version');
    expect(progress.join('\n')).toContain(`imported 5 records from NeDB; the old files are kept in ${folder}`);
    expect(progress.join('\n')).toContain('4 lines of executions.db could not be read (lines 7, 8, 9, 13)');
    await store.close();

    // Once only: the next start opens the database, imports nothing, moves nothing.
    const again = await openEmbeddedStore({ dir, progress: (line) => progress.push(`again: ${line}`) });
    expect(await again.executions.count({})).toBe(3);
    expect(progress.filter((line) => line.startsWith('again: '))).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.startsWith('nedb-imported-'))).toEqual(kept);
    await again.close();
  });

  it('finishes moving the old files at the next start if it stopped after the import, without importing again', async () => {
    const { dir } = oldStore();
    const store = await openEmbeddedStore({ dir });
    await store.executions.remove({ id: 'ex-a' });
    await store.close();
    // As if the process had stopped between the import and the move.
    const folder = path.join(dir, readdirSync(dir).find((name) => name.startsWith('nedb-imported-')) ?? '');
    for (const name of readdirSync(folder)) if (name !== 'import-report.json') renameSync(path.join(folder, name), path.join(dir, name));
    rmSync(folder, { recursive: true });

    const reopened = await openEmbeddedStore({ dir });
    expect(await reopened.executions.get('ex-a')).toBeUndefined();
    expect(readdirSync(folder).sort()).toEqual(['api_keys.db', 'executions.db', 'import-report.json', 'key_values.db~', 'packs.db']);
    await reopened.close();
  });

  it('leaves NeDB files alone that appear beside a store that exists already, and never overwrites kept ones', async () => {
    const { dir, lines } = oldStore();
    const store = await openEmbeddedStore({ dir });
    await store.close();
    writeFileSync(path.join(dir, 'executions.db'), lines.slice(0, 3).join('\n'));
    const progress: string[] = [];
    const reopened = await openEmbeddedStore({ dir, progress: (line) => progress.push(line) });
    expect(await reopened.executions.count({})).toBe(3);
    expect(progress).toEqual([]);
    await reopened.close();
    expect(existsSync(path.join(dir, 'executions.db'))).toBe(true);
    const folder = path.join(dir, readdirSync(dir).find((name) => name.startsWith('nedb-imported-')) ?? '');
    expect(readFileSync(path.join(folder, 'executions.db'), 'utf8')).toBe(lines.join('\n'));
  });

  it('builds the database again after an import that died half way', async () => {
    const { dir } = oldStore();
    writeFileSync(path.join(dir, 'packrun.sqlite.new'), 'half of a database');
    const store = await openEmbeddedStore({ dir });
    expect(await store.executions.count({})).toBe(3);
    await store.close();
    expect(existsSync(path.join(dir, 'packrun.sqlite.new'))).toBe(false);
  });
});
