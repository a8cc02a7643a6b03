import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError } from '@packrun/core';

/** What a source leaves behind: the pack's files in a private staging folder. */
export interface StagedSource {
  /** The staged pack folder. */
  dir: string;
  /** The source as it should be recorded (and re-resolved by an upgrade). */
  source: string;
  /** e.g. the git commit checked out. */
  resolved?: string;
}

/** Folders that are never part of installed pack content: a VCS, or envs built by hand. */
export const skippedFolders = new Set(['.git', '.hg', '.svn', 'node_modules', '.venv', 'venv', '__pycache__']);

/**
 * Copies a pack folder into staging (named after the folder, which may decide the pack's ref).
 * Symlinks are copied as links, never followed, so nothing outside the folder is pulled in.
 */
export async function stageFolder(folder: string, stagingDir: string): Promise<StagedSource> {
  const source = path.resolve(folder);
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new PackrunError('PACK_SOURCE_NOT_FOUND', `pack folder ${source} does not exist`, {
      hint: 'give a pack folder, a git URL, a .tar.gz file or URL, or a name from the pack index',
      details: { source },
    });
  }
  if (!info.isDirectory()) {
    throw new PackrunError('PACK_SOURCE_INVALID', `${source} is neither a folder nor a .tar.gz archive`, { details: { source } });
  }
  const dir = path.join(stagingDir, path.basename(source));
  await cp(source, dir, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (from) => !skippedFolders.has(path.basename(from)) || from === source,
  });
  return { dir, source };
}
