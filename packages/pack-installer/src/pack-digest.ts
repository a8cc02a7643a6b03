import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { installRecordName } from '@packrun/core';
import { skippedFolders } from './sources/folder-source.ts';

/**
 * A SHA-256 over a pack folder's content as a folder install copies it: relative paths, file
 * contents, the executable bit and symlink targets, in a fixed order. Two folders with the same
 * digest install the same pack; the built-in packs are compared by it at every start.
 */
export async function packDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (relative: string): Promise<void> => {
    const entries = (await readdir(path.join(dir, relative), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (skippedFolders.has(entry.name) || (relative === '' && entry.name === installRecordName)) continue;
      const name = path.join(relative, entry.name);
      const full = path.join(dir, name);
      if (entry.isSymbolicLink()) {
        hash.update(`link\0${name}\0${await readlink(full)}\0`);
      } else if (entry.isDirectory()) {
        hash.update(`dir\0${name}\0`);
        await walk(name);
      } else if (entry.isFile()) {
        const executable = ((await lstat(full)).mode & 0o100) !== 0;
        hash.update(`file\0${name}\0${executable ? 'x' : '-'}\0`);
        hash.update(createHash('sha256').update(await readFile(full)).digest('hex'));
      }
    }
  };
  await walk('');
  return hash.digest('hex');
}
