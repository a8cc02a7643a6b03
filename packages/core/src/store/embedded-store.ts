import { mkdirSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { PackrunError } from '../errors.ts';
import type { StoreSync } from '../config.ts';
import type { Logger } from '../logger.ts';
import { storeCollections } from './collections.ts';
import { SqliteCollection } from './sqlite-collection.ts';
import { closeDatabase, openDatabase } from './sqlite-database.ts';
import { lockStore } from './store-lock.ts';
import { corrupt, storeFiles, unreadable, type StoreFiles } from './store-files.ts';
import { removeExecutionsWithBlobs } from './execution-removal.ts';
import { createFileBlobs, sweepOrphans } from './file-blobs.ts';
import { faultOfErrno, storeWriteFault } from './store-write-faults.ts';
import type { Collection, CollectionName, ExecutionRecord, Filter, Store } from './types.ts';

/**
 * The zero-setup store: one SQLite database in PACKRUN_HOME/store, in WAL mode, opened by one
 * process (the folder lock keeps others out). The store folder of an earlier version (NeDB files)
 * is imported on first open and its files kept aside (sqlite-database.ts).
 */
export interface EmbeddedStoreOptions {
  /** Folder holding the store (dataPaths(home).store). */
  dir: string;
  logger?: Logger;
  /** How commits reach the disk (PACKRUN_STORE_SYNC): see sqlite-database.ts; default normal. */
  sync?: StoreSync;
  /** Where the lines telling how an import goes are written (openStore: stderr). */
  progress?: (line: string) => void;
}

function sqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** SQLite's errors about the file, as the store's own: naming the file and what to do about it. */
function storeError(files: StoreFiles, error: unknown): unknown {
  const code = sqliteCode(error);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return corrupt(files, files.database, (error as Error).message, error);
  const errnoFault = faultOfErrno(code);
  if (errnoFault !== undefined) return storeWriteFault(errnoFault, `a file of the store in ${files.dir}`, error, { dir: files.dir });
  // SQLite reports ENOSPC as SQLITE_FULL, and any other failed write (EDQUOT, EIO) as an I/O error.
  if (code === 'SQLITE_FULL') return storeWriteFault('STORE_FULL', files.database, error, { file: files.database });
  if (code.startsWith('SQLITE_IOERR') && code !== 'SQLITE_IOERR_READ' && code !== 'SQLITE_IOERR_SHORT_READ') {
    return storeWriteFault('STORE_WRITE_FAILED', files.database, error, { file: files.database, sqlite: code });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_READONLY')) return unreadable(files, files.database, error);
  return error;
}

export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const logger = options.logger?.child({ component: 'embedded-store' });
  const files = storeFiles(options.dir);
  let lock: ReturnType<typeof lockStore>;
  try {
    lock = lockStore(options.dir, logger);
  } catch (error) {
    throw storeError(files, error);
  }
  let db: Database.Database;
  try {
    // A native addon, loaded when a store is opened rather than with the module: commands that
    // never open the embedded store (`packrun --help`, a CLI talking to a server) skip it.
    const { default: Sqlite } = await import('better-sqlite3');
    db = openDatabase(Sqlite, files, { logger, progress: options.progress, sync: options.sync ?? 'normal' });
  } catch (error) {
    lock.release();
    throw storeError(files, error);
  }
  let closed = false;
  const run = <R>(operation: () => R): R => {
    if (closed) throw new PackrunError('STORE_CLOSED', `the embedded store in ${options.dir} is closed`, { userError: false });
    try {
      return operation();
    } catch (error) {
      throw storeError(files, error);
    }
  };
  logger?.debug({ file: files.database }, 'embedded store opened');
  const collection = <T extends { id: string }>(name: CollectionName): Collection<T> => new SqliteCollection<T>({ name, db, run });
  const collections = storeCollections(collection);
  const executionBlobs = createFileBlobs({ dir: files.blobs, durable: options.sync === 'full' });
  const executionExists = db.prepare('SELECT 1 FROM executions WHERE id = ?');
  sweepOrphans(files.blobs, (id) => executionExists.get(id) !== undefined, logger);
  return {
    kind: 'embedded',
    ...collections,
    executionBlobs,
    removeExecutions: (filter: Filter<ExecutionRecord>) => removeExecutionsWithBlobs(collections.executions, executionBlobs, filter, collections.workflows, collections.workflowItems),
    async ping() {
      run(() => db.prepare('SELECT 1').get());
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        closeDatabase(files, db);
      } finally {
        lock.release();
        logger?.debug({ file: files.database }, 'embedded store closed');
      }
    },
  };
}
