import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { faultOfErrno, storeWriteFault } from './store-write-faults.ts';
import type { BlobRef, ExecutionBlobField, ExecutionBlobs } from './types.ts';

/**
 * The embedded store's blobs: one folder per execution under `store/blobs/`, one file per part.
 * Files rather than a table in the database: a 16 MiB result written through SQLite goes through
 * its log and a checkpoint on the event loop, stays in the database file after the execution is
 * deleted (until a VACUUM), and cannot be read in pieces (better-sqlite3 has no incremental blob
 * reads); a file is written off the event loop, streamed to a client, and gone with an unlink.
 *
 * A file is written under a temporary name and renamed, so a blob is whole or absent. The record
 * refers to it only after it is written; a crash in between leaves a file no record names, which
 * `sweepOrphans` removes at the next open. With sync `full` the file and its folder are synced
 * before the record is, as the database's own commits are.
 */
export interface FileBlobsOptions {
  /** The blobs folder (store/blobs). */
  dir: string;
  /** fsync each blob before the record that names it is written (PACKRUN_STORE_SYNC=full). */
  durable: boolean;
}

const safeId = /^[A-Za-z0-9_-]{1,128}$/;

/** An execution's folder name: its id when that is a plain name, else a hash of it. */
function blobFolderName(executionId: string): string {
  return safeId.test(executionId) ? executionId : `h-${createHash('sha256').update(executionId).digest('hex')}`;
}

const blobName = /^(result|stdout|stderr)-[0-9a-f]{16}$/;

export function createFileBlobs(options: FileBlobsOptions): ExecutionBlobs {
  const folder = (executionId: string): string => path.join(options.dir, blobFolderName(executionId));
  const file = (executionId: string, ref: BlobRef): string => {
    if (!blobName.test(ref.$blob)) {
      throw new PackrunError('STORE_BLOB_MISSING', `execution "${executionId}" names a blob "${ref.$blob}" this store never wrote`, { details: { executionId }, userError: false });
    }
    return path.join(folder(executionId), ref.$blob);
  };

  return {
    async put(executionId: string, field: ExecutionBlobField, data: string): Promise<BlobRef> {
      const dir = folder(executionId);
      const name = `${field}-${randomBytes(8).toString('hex')}`;
      const target = path.join(dir, name);
      const temporary = `${target}.tmp`;
      const bytes = Buffer.from(data, 'utf8');
      try {
        // The execution's folder alone, not recursively: a recursive mkdir reports a read-only
        // filesystem as ENOENT, which would hide the fault.
        await mkdir(options.dir, { recursive: true, mode: 0o700 });
        await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        const handle = await open(temporary, 'w', 0o600);
        try {
          await handle.writeFile(bytes);
          if (options.durable) await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, target);
        if (options.durable) {
          const folderHandle = await open(dir, 'r');
          try {
            await folderHandle.sync();
          } finally {
            await folderHandle.close();
          }
        }
      } catch (error) {
        // What a full disk let through is given back at once: the execution's failure still has to be written.
        await rm(temporary, { force: true }).catch(() => undefined);
        const fault = faultOfErrno((error as NodeJS.ErrnoException).code);
        if (fault === undefined) throw error;
        throw storeWriteFault(fault, `the ${field} of execution "${executionId}" (${bytes.length} bytes) in ${dir}`, error, { executionId, file: temporary });
      }
      return { $blob: name, size: bytes.length };
    },

    async open(executionId: string, ref: BlobRef): Promise<Readable> {
      const where = file(executionId, ref);
      let size: number;
      try {
        size = (await stat(where)).size;
      } catch (cause) {
        throw new PackrunError('STORE_BLOB_MISSING', `the ${ref.$blob.split('-')[0]} of execution "${executionId}" is missing from ${options.dir}`, {
          hint: 'the file was deleted or the store folder was restored without its blobs folder',
          details: { executionId, file: where },
          cause,
          userError: false,
        });
      }
      if (size !== ref.size) {
        throw new PackrunError('STORE_BLOB_DAMAGED', `the ${ref.$blob.split('-')[0]} of execution "${executionId}" is ${size} bytes where ${ref.size} were written (${where})`, {
          hint: 'the file was cut short (a power cut with PACKRUN_STORE_SYNC=normal, a full disk, a partial restore)',
          details: { executionId, file: where, size, expected: ref.size },
          userError: false,
        });
      }
      return createReadStream(where);
    },

    async discard(executionId: string, refs: BlobRef[]): Promise<void> {
      for (const ref of refs) await rm(file(executionId, ref), { force: true });
    },

    async removeAll(executionIds: string[]): Promise<void> {
      for (const executionId of executionIds) await rm(folder(executionId), { recursive: true, force: true });
    },
  };
}

/**
 * Removes the blob folders of executions that no longer exist (a crash between a record's removal
 * and its blobs'), and temporary files left by a crash during a write. `exists` answers whether an
 * execution folder's record is still there; hashed folder names are left alone, as their ids
 * cannot be read back.
 */
export function sweepOrphans(dir: string, exists: (executionId: string) => boolean, logger?: Logger): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  let removed = 0;
  for (const entry of entries) {
    const where = path.join(dir, entry);
    if (!entry.startsWith('h-') && safeId.test(entry) && !exists(entry)) {
      rmSync(where, { recursive: true, force: true });
      removed += 1;
      continue;
    }
    try {
      for (const name of readdirSync(where)) if (name.endsWith('.tmp')) rmSync(path.join(where, name), { force: true });
    } catch {
      // Not a folder: nothing this store wrote.
    }
  }
  if (removed > 0) logger?.info({ removed, dir }, 'blobs of executions no longer stored removed');
}
