import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { PackrunError } from '@packrun/core';
import { defaultArchiveLimits, type ArchiveLimits } from './archive-check.ts';
import { inspectArchive, stageArchiveFile } from './archive-source.ts';
import { skippedFolders, type StagedSource } from './folder-source.ts';

/**
 * Pack folders sent by a CLI whose files the server cannot see (`packrun pack install ./x` against
 * another host): a .tar.gz kept in PACKRUN_HOME/uploads until one install uses it, named by the
 * source `upload:<id>`. Everything in an upload is hostile: its size is capped while it arrives,
 * its decompressed size while it is checked, and it may hold only plain files and folders.
 */
export const uploadIdPattern = /^[0-9a-f]{24}$/;

export interface UploadRecord {
  id: string;
  /** What the user called it (the folder or archive as they gave it), shown in progress and errors. */
  name: string;
  bytes: number;
  user: string;
  createdAt: string;
}

/** Uploads no install used within this time are removed when the next one arrives. */
const uploadLifetimeMs = 60 * 60 * 1000;
/** At most this many uploads wait for their install; the oldest go first. */
const maxWaitingUploads = 16;

export function uploadsDir(home: string): string {
  return path.join(home, 'uploads');
}

function uploadFiles(home: string, id: string): { archive: string; record: string } {
  if (!uploadIdPattern.test(id)) throw new PackrunError('PACK_SOURCE_INVALID', `"upload:${id}" names no upload (an upload id is 24 hex digits)`, { details: { source: `upload:${id}` } });
  const dir = uploadsDir(home);
  return { archive: path.join(dir, `${id}.tar.gz`), record: path.join(dir, `${id}.json`) };
}

/** A name for messages: no control characters (a terminal would obey them), not too long. */
function cleanName(name: string | undefined): string {
  const clean = (name ?? '').replace(/\p{Cc}/gu, '').trim().slice(0, 256);
  return clean === '' ? 'the uploaded pack' : clean;
}

/** Stops a stream once more than `max` bytes went through it. */
function byteCap(max: number, onExceeded: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(onExceeded());
      else callback(null, chunk);
    },
  });
}

/**
 * A gzip bomb is found by decompressing with a counter, before tar reads a header: the tar stream
 * of an archive within the limits is its files' bytes, a 512-byte header per entry and padding.
 */
async function assertDecompressedSize(file: string, limits: ArchiveLimits, shownAs: string): Promise<void> {
  const max = limits.maxUnpackedBytes + 1024 * (limits.maxEntries + 2);
  const tooLarge = () =>
    new PackrunError('PACK_ARCHIVE_UNSAFE', `${shownAs} was refused, nothing was extracted: it decompresses to more than ${max} bytes`, {
      hint: 'a pack archive may unpack to at most the archive limits',
      details: { archive: shownAs, problems: [`decompresses to more than ${max} bytes`] },
    });
  try {
    await pipeline(createReadStream(file), createGunzip(), byteCap(max, tooLarge), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) void chunk;
    });
  } catch (error) {
    if (error instanceof PackrunError) throw error;
    throw new PackrunError('PACK_ARCHIVE_INVALID', `${shownAs} is not a readable .tar.gz archive: ${error instanceof Error ? error.message : String(error)}`, {
      details: { archive: shownAs },
      cause: error,
    });
  }
}

/** Removes uploads older than their lifetime and, past the cap, the oldest. */
async function pruneUploads(home: string): Promise<void> {
  const dir = uploadsDir(home);
  const entries = await readdir(dir).catch(() => [] as string[]);
  const uploads: Array<{ id: string; at: number }> = [];
  for (const entry of entries) {
    const id = entry.replace(/\.(tar\.gz|json|part)$/, '');
    if (!uploadIdPattern.test(id) || uploads.some((upload) => upload.id === id)) continue;
    const at = await stat(path.join(dir, entry)).then((info) => info.mtimeMs, () => 0);
    uploads.push({ id, at });
  }
  uploads.sort((a, b) => b.at - a.at);
  const now = Date.now();
  for (const [index, upload] of uploads.entries()) {
    if (index >= maxWaitingUploads - 1 || now - upload.at > uploadLifetimeMs) await discardUpload(home, upload.id);
  }
}

/**
 * Receives one upload: the bytes are written as they arrive and refused past
 * `limits.maxDownloadBytes`; then the archive is checked whole (decompressed size, entries, paths,
 * no links, devices or setuid bits: inspectArchive) before it is kept. A refused upload leaves nothing.
 */
export async function receiveUpload(options: { home: string; body: Readable; name?: string; user: string; limits?: Partial<ArchiveLimits> }): Promise<UploadRecord> {
  const limits = { ...defaultArchiveLimits, ...options.limits };
  const dir = uploadsDir(options.home);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await pruneUploads(options.home);
  const id = randomBytes(12).toString('hex');
  const name = cleanName(options.name);
  const files = uploadFiles(options.home, id);
  const part = path.join(dir, `${id}.part`);
  let bytes = 0;
  try {
    const tooLarge = () =>
      new PackrunError('PACK_UPLOAD_TOO_LARGE', `the upload of ${name} is larger than ${limits.maxDownloadBytes} bytes`, {
        hint: 'leave build outputs and data out of the pack folder (.git, node_modules and venvs are never sent)',
        details: { limit: limits.maxDownloadBytes },
      });
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(options.body, byteCap(limits.maxDownloadBytes, tooLarge), counter, createWriteStream(part, { mode: 0o600 }));
    await assertDecompressedSize(part, limits, name);
    await inspectArchive(part, { ...limits, refuseLinks: true }, name);
    const record: UploadRecord = { id, name, bytes, user: options.user, createdAt: new Date().toISOString() };
    await writeFile(files.record, JSON.stringify(record), { mode: 0o600 });
    await rename(part, files.archive);
    return record;
  } catch (error) {
    await rm(part, { force: true });
    await rm(files.record, { force: true });
    throw error;
  }
}

async function readUpload(home: string, id: string): Promise<UploadRecord> {
  const files = uploadFiles(home, id);
  try {
    return JSON.parse(await readFile(files.record, 'utf8')) as UploadRecord;
  } catch {
    throw new PackrunError('PACK_SOURCE_NOT_FOUND', `upload:${id} does not exist (any more): an upload is used by one install and kept for an hour at most`, {
      hint: 'install from the folder again (`packrun pack install <folder>` uploads it again)',
      details: { source: `upload:${id}` },
    });
  }
}

/** How progress lines and errors name an upload: as the user named what they uploaded. */
export async function uploadName(home: string, id: string): Promise<string> {
  return (await readUpload(home, id)).name;
}

/** Extracts an upload into staging, checked again as any archive is (with links refused). */
export async function stageUpload(home: string, id: string, into: string, limits: ArchiveLimits): Promise<StagedSource> {
  const record = await readUpload(home, id);
  const { archive } = uploadFiles(home, id);
  const dir = await stageArchiveFile(archive, into, { ...limits, refuseLinks: true }, record.name);
  return { dir, source: `upload:${id}` };
}

/** An upload is used by one install, whatever its outcome. */
export async function discardUpload(home: string, id: string): Promise<void> {
  if (!uploadIdPattern.test(id)) return;
  const files = uploadFiles(home, id);
  await rm(files.archive, { force: true });
  await rm(files.record, { force: true });
  await rm(path.join(uploadsDir(home), `${id}.part`), { force: true });
}

/**
 * A pack folder as the .tar.gz a client uploads: the folder under its own name (which may be the
 * pack's ref), without what an install never copies (.git, node_modules, venvs: skippedFolders).
 */
export async function archivePackFolder(folder: string): Promise<Buffer> {
  const name = path.basename(folder);
  const chunks: Buffer[] = [];
  const stream = tar.c({ gzip: true, portable: true, cwd: path.dirname(folder), filter: (entry) => !entry.split('/').slice(1).some((part) => skippedFolders.has(part)) }, [name]);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
