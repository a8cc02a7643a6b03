import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPackrunError, openEmbeddedStore, type ExecutionRecord } from '@packrun/core';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { killHard, startWithCore } from './core-child.ts';

// better-sqlite3 is core's dependency: loaded from there to forge databases a store did not write.
type SqliteDatabase = { pragma(source: string): unknown; exec(source: string): void; close(): void };
const Sqlite = createRequire(path.resolve(import.meta.dirname, '../../packages/core/package.json'))('better-sqlite3') as new (file: string) => SqliteDatabase;

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-store-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function execution(id: string): ExecutionRecord {
  return { id, action: 'core.echo', pack: 'core', parameters: { message: 'x'.repeat(500) }, status: 'succeeded', log: [], createdAt: '2026-01-01T00:00:00.000Z', context: {} };
}

/** A store folder holding `count` executions, closed cleanly. */
async function storeWith(count: number): Promise<{ dir: string; database: string }> {
  const dir = path.join(root, `store-${(n += 1)}`);
  const store = await openEmbeddedStore({ dir });
  for (let index = 0; index < count; index += 1) await store.executions.insert(execution(`ex-${index}`));
  await store.close();
  return { dir, database: path.join(dir, 'packrun.sqlite') };
}

async function openError(dir: string): Promise<{ code: string; message: string; hint: string | undefined; userError: boolean }> {
  try {
    const store = await openEmbeddedStore({ dir });
    await store.close();
  } catch (error) {
    if (isPackrunError(error)) return { code: error.code, message: error.message, hint: error.hint, userError: error.userError };
    throw error;
  }
  throw new Error(`the store in ${dir} opened`);
}

describe('embedded store faults', () => {
  it('refuses a truncated database, naming the file and what to do', async () => {
    const { dir, database } = await storeWith(200);
    truncateSync(database, Math.floor(statSync(database).size / 2));
    const error = await openError(dir);
    expect(error).toMatchObject({ code: 'STORE_CORRUPT', userError: true });
    expect(error.message).toContain(database);
    expect(error.message).toContain('cut short');
    expect(error.hint).toMatch(/backup.*move it aside/);
    // The refusal left the folder unlocked and as it was: restored, it opens again.
    expect(existsSync(path.join(dir, '.lock'))).toBe(false);
  });

  it('refuses a database cut mid-page and an empty one', async () => {
    const { dir, database } = await storeWith(10);
    truncateSync(database, statSync(database).size - 100);
    expect((await openError(dir)).code).toBe('STORE_CORRUPT');
    truncateSync(database, 0);
    expect(await openError(dir)).toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining('empty') });
  });

  it('refuses garbage in place of the database', async () => {
    const { dir, database } = await storeWith(10);
    writeFileSync(database, Buffer.from(Array.from({ length: 8192 }, (_, index) => (index * 7919) % 251)));
    expect(await openError(dir)).toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining('not a SQLite database') });
  });

  it('reports damaged pages inside a database as STORE_CORRUPT, naming the file, when they are read', async () => {
    const { dir, database } = await storeWith(300);
    // The middle third of the file (records and their indexes; the header and the schema come
    // first), overwritten with garbage of the same length: the file's size still matches.
    const size = statSync(database).size;
    const fd = openSync(database, 'r+');
    writeSync(fd, Buffer.alloc(Math.floor(size / 3), 0xa5), 0, Math.floor(size / 3), Math.floor(size / 3));
    closeSync(fd);
    let code: string | undefined;
    let message = '';
    try {
      const store = await openEmbeddedStore({ dir });
      try {
        await store.executions.find({}, { sort: { createdAt: -1 } });
        await store.executions.count({ status: 'succeeded' });
      } finally {
        await store.close().catch(() => undefined);
      }
    } catch (error) {
      code = isPackrunError(error) ? error.code : String(error);
      message = (error as Error).message;
    }
    expect(code).toBe('STORE_CORRUPT');
    expect(message).toContain(database);
  });

  it('refuses a file it cannot read', async () => {
    const { dir, database } = await storeWith(1);
    rmSync(database);
    mkdirSync(database);
    expect(await openError(dir)).toMatchObject({ code: 'STORE_UNREADABLE', message: expect.stringContaining(database) });
  });

  it('refuses to start empty when the database is gone but the folder shows a store existed', async () => {
    const { dir, database } = await storeWith(5);
    rmSync(database);
    const error = await openError(dir);
    expect(error).toMatchObject({ code: 'STORE_MISSING' });
    expect(error.message).toContain(database);
    expect(existsSync(database)).toBe(false);
  });

  it('recovers the changes of a process SIGKILLed mid-run from the log, and refuses when that log is gone', async () => {
    const dir = path.join(root, `store-${(n += 1)}`);
    const holder = await startWithCore(
      `import { openEmbeddedStore } from '@packrun/core';
       const store = await openEmbeddedStore({ dir: ${JSON.stringify(dir)} });
       for (let i = 0; i < 50; i += 1) await store.executions.insert({ id: 'ex-' + i, action: 'a.b', pack: 'a', parameters: {}, status: 'requested', log: [], createdAt: '2026-01-01T00:00:00.000Z', context: {} });
       console.log('written');
       setInterval(() => undefined, 1000);`,
      'written',
    );
    await killHard(holder);
    const wal = path.join(dir, 'packrun.sqlite-wal');
    expect(existsSync(wal)).toBe(true);
    const copy = path.join(root, `store-${(n += 1)}`);
    mkdirSync(copy);
    for (const file of ['packrun.sqlite', 'packrun.sqlite-wal', 'store.json']) copyFileSync(path.join(dir, file), path.join(copy, file));

    const store = await openEmbeddedStore({ dir });
    expect(await store.executions.count({})).toBe(50);
    await store.close();

    rmSync(path.join(copy, 'packrun.sqlite-wal'));
    expect(await openError(copy)).toMatchObject({ code: 'STORE_MISSING', message: expect.stringContaining('packrun.sqlite-wal') });
  });

  it('refuses a SQLite database that is not a Packrun store, and one written by a later version', async () => {
    const foreign = path.join(root, `store-${(n += 1)}`);
    mkdirSync(foreign);
    const other = new Sqlite(path.join(foreign, 'packrun.sqlite'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(await openError(foreign)).toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining('not a Packrun store') });

    const { dir, database } = await storeWith(1);
    const later = new Sqlite(database);
    later.pragma('user_version = 99');
    later.close();
    expect(await openError(dir)).toMatchObject({ code: 'STORE_VERSION' });
  });

  it('refuses a damaged store manifest rather than guessing', async () => {
    const { dir } = await storeWith(1);
    writeFileSync(path.join(dir, 'store.json'), '{"format": "packrun-sq');
    expect(await openError(dir)).toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining('store.json') });
  });

  it('packrun up on a damaged store exits non-zero with the code, the file and the hint, and no stack trace', async () => {
    const home = path.join(root, `home-${(n += 1)}`);
    const { database } = await (async () => {
      const dir = path.join(home, 'store');
      const store = await openEmbeddedStore({ dir });
      await store.close();
      return { database: path.join(dir, 'packrun.sqlite') };
    })();
    writeFileSync(database, 'this is not a database'.repeat(300));
    const run = await runPackrunCli(['up'], { PACKRUN_HOME: home, PACKRUN_API_PORT: '0' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [STORE_CORRUPT]');
    expect(run.stderr).toContain(database);
    expect(run.stderr).toMatch(/hint: restore the store folder .* from a backup/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(readFileSync(database, 'utf8')).toContain('this is not a database');
  });
});
