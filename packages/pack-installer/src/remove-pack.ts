import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, dataPaths, validatePackRef } from '@packrun/core';
import { deactivate, discardVersion } from './activation.ts';
import type { InstallerConfig } from './install-pack.ts';
import { withPackLocks } from './install-lock.ts';
import { readInstalledPacks } from './installed-packs.ts';

export interface RemoveOptions {
  config: Pick<InstallerConfig, 'home'>;
  /** Remove even when installed packs depend on it. */
  force?: boolean;
  /** Called once the pack is gone from disk (e.g. to unregister it from the Store). */
  onRemoved?: (ref: string) => void | Promise<void>;
}

/** Installed packs that depend on `ref` (as recorded when they were installed). */
export async function dependentsOf(home: string, ref: string): Promise<string[]> {
  const installed = await readInstalledPacks(dataPaths(home));
  return [...installed.values()].filter((state) => state.installed.dependsOn?.includes(ref)).map((state) => state.installed.ref);
}

/** Uninstalls a pack: its active link, its content and its envs. */
export async function removePack(ref: string, options: RemoveOptions): Promise<void> {
  validatePackRef(ref);
  const paths = dataPaths(options.config.home);
  await withPackLocks(paths, [ref], async () => {
    const installed = await readInstalledPacks(paths);
    if (!installed.has(ref)) {
      throw new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, {
        hint: '`packrun pack list` shows what is installed',
        details: { pack: ref },
      });
    }
    const dependents = await dependentsOf(options.config.home, ref);
    if (dependents.length > 0 && !options.force) {
      throw new PackrunError('PACK_HAS_DEPENDENTS', `pack "${ref}" is needed by installed pack(s) ${dependents.join(', ')}`, {
        hint: 'remove those packs first, or pass --force',
        details: { pack: ref, dependents },
      });
    }
    const previous = await deactivate(paths, ref);
    if (previous !== undefined) await discardVersion(paths, previous);
    await rm(path.join(paths.envs, ref), { recursive: true, force: true });
  });
  await options.onRemoved?.(ref);
}
