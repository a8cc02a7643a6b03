import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { PackrunError } from '../errors.ts';
import type { StoreSync } from '../config.ts';
import type { Logger } from '../logger.ts';
import { findNedbFiles, importNedbFiles, keepImportedFiles, type NedbFileReport } from './nedb-import.ts';
import { ensureSchema, readMeta, schemaVersion, writeMeta } from './sqlite-schema.ts';
import { checkDatabaseFile, corrupt, missing, readManifest, writeManifest, type StoreFiles, type StoreManifest } from './store-files.ts';

/**
 * The embedded store's database file through its life: created (importing an earlier version's
 * NeDB files once), checked and opened, closed cleanly. The collections know nothing of this.
 */
/** better-sqlite3's constructor, loaded by the caller when a store is opened (see openEmbeddedStore). */
export type SqliteConstructor = typeof Database;

interface DatabaseOptions {
  sync: StoreSync;
  logger?: Logger | undefined;
  progress?: ((line: string) => void) | undefined;
}

/**
 * How commits reach the disk. WAL mode with synchronous=NORMAL (the default) appends a commit to
 * the log without an fsync and syncs the log at each checkpoint: every write stays atomic and the
 * database consistent through any crash, and a crash of the process loses nothing, but a power cut
 * may take back the last commits before the latest checkpoint. FULL syncs the log on every commit,
 * and better-sqlite3 waits for that fsync on the event loop. An execution makes four commits:
 * bench/store measured FULL at 1.5 to 5.5 ms more per execution on this machine's disk (157
 * executions/s against 1169 with NORMAL at 100k stored, BENCHMARKS.md), while all the runtime's
 * own work for an execution is about 5 ms of CPU. So NORMAL is the default, and
 * PACKRUN_STORE_SYNC=full buys the power-cut guarantee where it is worth that.
 */
const synchronousModes: Record<StoreSync, string> = { normal: 'NORMAL', full: 'FULL' };

/** SQLite's page cache: room for the indexes of a large store, and a bound on the process's memory. */
const cacheKibibytes = 32 * 1024;

/**
 * Pages (4 KiB) the log may hold before a commit folds it into the database, a checkpoint, which
 * SQLite runs inside that commit, on the event loop, with an fsync. SQLite's default of 1000 made
 * every 8 MiB result (2,000 pages) pay a checkpoint of its own: storing one took 113 and 172 ms
 * against 57 and 89 ms with 10,000, in two runs here. The log then grows to about 40 MiB between
 * checkpoints and is cut back to 64 MiB at most after each.
 */
const checkpointPages = 10_000;
const logLimitBytes = 64 * 1024 * 1024;

function configure(db: Database.Database, sync: StoreSync): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronousModes[sync]}`);
  db.pragma(`cache_size = -${cacheKibibytes}`);
  db.pragma(`wal_autocheckpoint = ${checkpointPages}`);
  db.pragma(`journal_size_limit = ${logLimitBytes}`);
  db.pragma('temp_store = MEMORY');
}

function fsyncPath(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

interface ImportRecord {
  at: string;
  /** Folder name, inside the store folder, the NeDB files are kept in. */
  folder: string;
  reports: NedbFileReport[];
}

/**
 * Builds a new database under a temporary name, renamed into place once complete: a crash in
 * between leaves no file that looks like a store, and the next start builds it again.
 */
function createDatabase(Sqlite: SqliteConstructor, files: StoreFiles, options: DatabaseOptions): void {
  const building = `${files.database}.new`;
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${building}${suffix}`, { force: true });
  const sources = findNedbFiles(files.dir);
  const at = new Date().toISOString();
  const db = new Sqlite(building);
  try {
    // A temporary file, rebuilt from scratch after any failure: no journal needed while filling it.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    ensureSchema(db);
    db.transaction(() => {
      writeMeta(db, 'createdAt', at);
      if (sources.length === 0) return;
      const progress = options.progress ?? (() => undefined);
      progress(`importing the store of an earlier Packrun version (NeDB files) in ${files.dir}`);
      const reports = importNedbFiles(db, sources, progress);
      const record: ImportRecord = { at, folder: `nedb-imported-${at.replace(/[:.]/g, '-')}`, reports };
      writeMeta(db, 'nedbImport', JSON.stringify(record));
    })();
    db.pragma('journal_mode = WAL');
    db.close();
  } catch (error) {
    db.close();
    rmSync(building, { force: true });
    throw error;
  }
  fsyncPath(building);
  renameSync(building, files.database);
  fsyncPath(files.dir);
}

/**
 * Moves the imported NeDB files aside once the database holding their records is in place: just
 * after the import, or at the next start if the process stopped in between. Files of the same
 * names already kept there are never overwritten.
 */
function keepImportedNedbFiles(files: StoreFiles, db: Database.Database, options: DatabaseOptions): void {
  const sources = findNedbFiles(files.dir);
  if (sources.length === 0) return;
  const recorded = readMeta(db, 'nedbImport');
  const logger = options.logger;
  if (recorded === undefined) {
    logger?.warn({ files: sources.map((source) => source.file) }, 'NeDB files beside the embedded store were not imported: the store existed before them');
    return;
  }
  const record = JSON.parse(recorded) as ImportRecord;
  const folder = path.join(files.dir, record.folder);
  const left = keepImportedFiles(sources, folder, record.reports);
  if (left.length > 0) logger?.warn({ files: left, folder }, 'NeDB files left in place: files of the same names are kept in the import folder already');
  if (left.length === sources.length) return;
  const records = record.reports.reduce((sum, report) => sum + report.records, 0);
  const unreadable = record.reports.filter((report) => report.unreadable > 0);
  const lines = [`imported ${records} records from NeDB; the old files are kept in ${folder}`];
  for (const report of unreadable) {
    const where = report.unreadableLines.map((entry) => entry.line).join(', ');
    lines.push(`  ${report.unreadable} lines of ${path.basename(report.file)} could not be read (lines ${where}${report.unreadable > report.unreadableLines.length ? ', ...' : ''})`);
  }
  if (unreadable.length > 0) lines.push(`  the report, with each problem: ${path.join(folder, 'import-report.json')}`);
  for (const line of lines) options.progress?.(line);
  const summary = { folder, records, unreadable: unreadable.map((report) => ({ file: report.file, lines: report.unreadable })) };
  if (unreadable.length > 0) logger?.warn(summary, 'NeDB import: some lines could not be read');
  else logger?.info(summary, 'NeDB import complete');
}

/** Opens the store's database, creating it on first use; refuses a damaged, cut or missing one. */
export function openDatabase(Sqlite: SqliteConstructor, files: StoreFiles, options: DatabaseOptions): Database.Database {
  let manifest = readManifest(files);
  if (!existsSync(files.database)) {
    if (manifest !== undefined) throw missing(files, files.database, `${files.manifest} says a store was created here on ${manifest.createdAt}`);
    createDatabase(Sqlite, files, options);
    manifest = { format: 'packrun-sqlite', database: path.basename(files.database), createdAt: new Date().toISOString(), open: false };
    writeManifest(files, manifest);
  } else {
    checkDatabaseFile(files);
    if (manifest?.open === true && !existsSync(files.wal)) {
      throw missing(files, files.wal, 'the last run did not close the store, and this write-ahead log held its latest changes (if another SQLite tool opened the database since, it folded the log in: then set "open" to false in store.json)');
    }
  }
  const db = new Sqlite(files.database, { fileMustExist: true });
  try {
    configure(db, options.sync);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) throw corrupt(files, files.database, 'it is a SQLite database, but not a Packrun store');
    if (version > schemaVersion) {
      throw new PackrunError('STORE_VERSION', `the embedded store ${files.database} was written by a later Packrun (store schema ${version}; this one reads up to ${schemaVersion})`, {
        hint: 'run the Packrun version that wrote it, or restore a backup made before the upgrade',
        details: { file: files.database, version, supported: schemaVersion },
      });
    }
    // After a run that did not close, SQLite recovers from the log by itself; this makes sure
    // the pages it reads are whole, at the cost of reading the file once.
    if (manifest?.open === true) {
      const check = db.pragma('quick_check(20)', { simple: true }) as string;
      if (check !== 'ok') throw corrupt(files, files.database, `SQLite's check found: ${check}`);
    }
    ensureSchema(db);
    keepImportedNedbFiles(files, db, options);
    const opened: StoreManifest = manifest ?? { format: 'packrun-sqlite', database: path.basename(files.database), createdAt: readMeta(db, 'createdAt') ?? new Date().toISOString(), open: false };
    writeManifest(files, { ...opened, open: true });
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Folds the log into the database, records the clean close, then closes. */
export function closeDatabase(files: StoreFiles, db: Database.Database): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const manifest = readManifest(files);
    if (manifest !== undefined) writeManifest(files, { ...manifest, open: false });
  } finally {
    db.close();
  }
}
