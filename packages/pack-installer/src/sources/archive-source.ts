import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { PackrunError } from '@packrun/core';
import { ArchiveInspector, type ArchiveLimits } from './archive-check.ts';
import type { StagedSource } from './folder-source.ts';
import { downloadToFile } from './http-download.ts';

/**
 * Reads the whole archive once without writing anything, and refuses it when any entry is
 * unsafe. Only then is it extracted, into staging only, with tar's own path checks still on.
 */
export async function inspectArchive(file: string, limits: ArchiveLimits, shownAs = file): Promise<void> {
  const inspector = new ArchiveInspector(limits);
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        inspector.add({ path: entry.path, type: entry.type, linkpath: entry.linkpath, mode: entry.mode, size: entry.size ?? 0 });
      },
    });
  } catch (cause) {
    throw new PackrunError('PACK_ARCHIVE_INVALID', `${shownAs} is not a readable .tar.gz archive: ${cause instanceof Error ? cause.message : String(cause)}`, {
      details: { archive: shownAs },
      cause,
    });
  }
  const problems = inspector.finish();
  if (problems.length > 0) {
    throw new PackrunError('PACK_ARCHIVE_UNSAFE', `${shownAs} was refused, nothing was extracted:\n  ${problems.slice(0, 20).join('\n  ')}`, {
      hint: 'a pack archive may hold only files, folders and links that stay inside the pack',
      details: { archive: shownAs, problems },
    });
  }
}

/** GitHub-style archives hold one top folder; a pack.yaml at the top means the archive is the pack. */
async function packFolderIn(dir: string, shownAs: string): Promise<string> {
  const entries = await readdir(dir);
  if (entries.includes('pack.yaml')) return dir;
  if (entries.length === 1 && entries[0] !== undefined) {
    const only = path.join(dir, entries[0]);
    if ((await stat(only)).isDirectory()) return only;
  }
  throw new PackrunError('PACK_INVALID', `${shownAs} holds no pack.yaml, at the top or in a single top folder`, {
    hint: 'a pack archive holds a pack folder (with pack.yaml) or the pack files themselves',
    details: { archive: shownAs },
  });
}

export async function stageArchiveFile(file: string, into: string, limits: ArchiveLimits, shownAs = file): Promise<string> {
  await inspectArchive(file, limits, shownAs);
  const name = path.basename(shownAs.replace(/[?#].*$/, '')).replace(/\.(tar\.gz|tgz)$/i, '');
  const target = path.join(into, name || 'pack');
  await mkdir(target);
  await tar.x({ file, cwd: target, strict: true, preserveOwner: false });
  return packFolderIn(target, shownAs);
}

export async function stageArchive(
  spec: { kind: 'archive-file'; path: string } | { kind: 'archive-url'; url: string },
  into: string,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<StagedSource> {
  if (spec.kind === 'archive-file') {
    try {
      await stat(spec.path);
    } catch {
      throw new PackrunError('PACK_SOURCE_NOT_FOUND', `pack archive ${spec.path} does not exist`, { details: { source: spec.path } });
    }
    return { dir: await stageArchiveFile(spec.path, into, limits), source: spec.path };
  }
  const downloaded = path.join(into, 'download.tar.gz');
  await downloadToFile(spec.url, downloaded, limits.maxDownloadBytes, signal);
  const unpacked = path.join(into, 'unpacked');
  await mkdir(unpacked);
  return { dir: await stageArchiveFile(downloaded, unpacked, limits, spec.url), source: spec.url };
}
