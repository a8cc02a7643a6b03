import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PackrunError } from '../errors.ts';

/**
 * The embedded store's files in PACKRUN_HOME/store and the checks made before SQLite opens them.
 * SQLite reads a database lazily: a truncated file, or one whose write-ahead log was deleted,
 * opens without complaint and simply has fewer records. So the folder also holds `store.json`,
 * written when the store is created and on every open and close, which says a store exists here
 * and whether it was closed cleanly; with it a missing or cut file is refused instead of the
 * store starting silently short.
 */
export interface StoreFiles {
  dir: string;
  /** The database: one file, in WAL mode. */
  database: string;
  /** Its write-ahead log, present while open and after a crash (committed changes not yet copied in). */
  wal: string;
  manifest: string;
  /** Parts of execution results too big for their records, a folder per execution (file-blobs.ts). */
  blobs: string;
}

export function storeFiles(dir: string): StoreFiles {
  const database = path.join(dir, 'packrun.sqlite');
  return { dir, database, wal: `${database}-wal`, manifest: path.join(dir, 'store.json'), blobs: path.join(dir, 'blobs') };
}

export interface StoreManifest {
  format: 'packrun-sqlite';
  /** The database file name, relative to the folder. */
  database: string;
  createdAt: string;
  /** True from an open to the matching close: still true at the next open means the last run did not close. */
  open: boolean;
}

const restoreHint = (files: StoreFiles): string =>
  `restore the store folder ${files.dir} from a backup (docs/deployment.md), or move it aside to start with an empty store`;

export function readManifest(files: StoreFiles): StoreManifest | undefined {
  let text: string;
  try {
    text = readFileSync(files.manifest, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(files, files.manifest, error);
  }
  try {
    const parsed = JSON.parse(text) as Partial<StoreManifest>;
    if (parsed.format !== 'packrun-sqlite') throw new Error('not a Packrun store manifest');
    return parsed as StoreManifest;
  } catch (cause) {
    throw new PackrunError('STORE_CORRUPT', `the store manifest ${files.manifest} is damaged: ${(cause as Error).message}`, {
      hint: restoreHint(files),
      details: { file: files.manifest },
      cause,
    });
  }
}

/** Replaces the manifest atomically (write aside, fsync, rename). */
export function writeManifest(files: StoreFiles, manifest: StoreManifest): void {
  const temporary = `${files.manifest}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(temporary, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, files.manifest);
}

export function unreadable(files: StoreFiles, file: string, cause: unknown): PackrunError {
  return new PackrunError('STORE_UNREADABLE', `the embedded store file ${file} cannot be read: ${(cause as Error).message}`, {
    hint: `check the permissions and the disk of ${files.dir}; Packrun needs to read and write every file there`,
    details: { file },
    cause,
  });
}

export function corrupt(files: StoreFiles, file: string, problem: string, cause?: unknown): PackrunError {
  return new PackrunError('STORE_CORRUPT', `the embedded store file ${file} is damaged: ${problem}`, {
    hint: restoreHint(files),
    details: { file },
    ...(cause === undefined ? {} : { cause }),
  });
}

export function missing(files: StoreFiles, file: string, problem: string): PackrunError {
  return new PackrunError('STORE_MISSING', `the embedded store file ${file} is missing: ${problem}`, {
    hint: restoreHint(files),
    details: { file },
  });
}

const magic = 'SQLite format 3\0';

/**
 * Refuses a database file that is not one (garbage, another format) or that is shorter than its
 * own header says. The header's page count is only trusted when SQLite marked it valid (the change
 * counter equals the version-valid-for number) and no write-ahead log holds later pages.
 */
export function checkDatabaseFile(files: StoreFiles): void {
  let size: number;
  const header = Buffer.alloc(100);
  let read: number;
  try {
    size = statSync(files.database).size;
    const fd = openSync(files.database, 'r');
    try {
      read = readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw unreadable(files, files.database, error);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== magic) {
    throw corrupt(files, files.database, size === 0 ? 'it is empty' : 'it is not a SQLite database');
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(files, files.database, 'its header is not valid');
  const walPages = existsSync(files.wal) && statSync(files.wal).size > 0;
  const pageCountValid = header.readUInt32BE(24) === header.readUInt32BE(92);
  const pages = header.readUInt32BE(28);
  if (!walPages && (size % pageSize !== 0 || (pageCountValid && pages * pageSize > size))) {
    throw corrupt(files, files.database, `it is ${size} bytes long, its header says ${pages * pageSize}: it was cut short`);
  }
}
