import { versionHolder, type InstalledPack } from '../installed-pack.ts';
import type { DataPaths } from '../paths.ts';
import { loadPack } from './load-pack.ts';
import type { LoadedPack } from './types.ts';

/**
 * The loaded metadata of the packs executions run from, so neither the API validating a request
 * nor the runner starting it reads and parses every YAML of the pack again. Only managed version
 * folders (packs/.versions/<id>/<ref>) are cached: an install always writes a new one, so a
 * reinstall is a different key and misses, while a folder outside `.versions` may be edited in
 * place and is loaded every time.
 * One entry per pack (a newer version replaces the older), at most `packLimit` packs, least
 * recently used first out, so memory follows the packs in use and not the installs made.
 */
const packLimit = 64;

interface Entry {
  dir: string;
  installedAt: string;
  /** Shared by concurrent first executions, so a burst loads the pack once. */
  loading: Promise<LoadedPack>;
}

const entries = new Map<string, Entry>();

/** `installed`'s metadata, from the cache when its version folder was loaded before. */
export async function loadInstalledPackMetadata(paths: DataPaths, installed: InstalledPack): Promise<LoadedPack> {
  if (!versionHolder(paths, installed.dir)) return loadPack(installed.dir);
  const cached = entries.get(installed.ref);
  if (cached && cached.dir === installed.dir && cached.installedAt === installed.installedAt) {
    entries.delete(installed.ref);
    entries.set(installed.ref, cached);
    return cached.loading;
  }
  const entry: Entry = { dir: installed.dir, installedAt: installed.installedAt, loading: loadPack(installed.dir) };
  entries.delete(installed.ref);
  entries.set(installed.ref, entry);
  while (entries.size > packLimit) entries.delete(entries.keys().next().value!);
  try {
    return await entry.loading;
  } catch (error) {
    // A failed load is reported to every execution, never remembered: the next one tries again.
    if (entries.get(installed.ref) === entry) entries.delete(installed.ref);
    throw error;
  }
}
