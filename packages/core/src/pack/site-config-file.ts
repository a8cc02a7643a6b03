import { statSync } from 'node:fs';
import { missingFile, readYamlFile, type YamlReadResult } from './yaml-file.ts';

/**
 * The parsed `configs/<ref>.yaml` files, so an execution does not read and parse its pack's site
 * config again while it is unchanged. The file may be edited at any time: each use stats it, and
 * an entry holds only while inode, size, mtime and ctime are the same. A file changed within the
 * last `settleMs` is not cached at all, so two writes inside one timestamp tick cannot leave a
 * stale entry (ctime cannot be set back, so a later write always changes the key).
 * Callers must not modify the returned value (site-config.ts copies it before filling defaults).
 */
const settleMs = 2000;
const fileLimit = 256;

const missing = missingFile();
const entries = new Map<string, { key: string; read: YamlReadResult }>();

export async function readSiteConfigFile(file: string): Promise<YamlReadResult> {
  let key: string;
  let changedMs: number;
  try {
    // Synchronous: one stat per execution, tens of microseconds, against about 0.2 ms through
    // Node's thread pool.
    const info = statSync(file, { bigint: true });
    key = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    changedMs = Math.max(Number(info.mtimeMs), Number(info.ctimeMs));
  } catch (error) {
    entries.delete(file);
    // Most packs have no site config: a missing file costs this one stat.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return missing;
    // Unreadable: the reader says why.
    return readYamlFile(file);
  }
  const cached = entries.get(file);
  if (cached?.key === key) {
    entries.delete(file);
    entries.set(file, cached);
    return cached.read;
  }
  const read = await readYamlFile(file);
  entries.delete(file);
  if (read.ok && changedMs < Date.now() - settleMs) {
    entries.set(file, { key, read });
    while (entries.size > fileLimit) entries.delete(entries.keys().next().value!);
  }
  return read;
}
