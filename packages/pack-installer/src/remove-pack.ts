import { rm } from 'node:fs/promises';
import { PackrunError, dataPaths, isBuiltinPackRef, validatePackRef } from '@packrun/core';
import { deactivate } from './activation.ts';
import { packCacheDir } from './env-store.ts';
import type { InstallerConfig } from './install-pack.ts';
import { withPackLocks } from './install-lock.ts';
import { readInstalledPacks } from './installed-packs.ts';
import { collectPackGarbage } from './version-gc.ts';

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

/** Uninstalls a pack: its active link, its content, its download caches and its envs (those of running jobs once they end). */
export async function removePack(ref: string, options: RemoveOptions): Promise<void> {
  validatePackRef(ref);
  if (isBuiltinPackRef(ref)) {
    throw new PackrunError('PACK_REF_RESERVED', `pack "${ref}" is built into Packrun and cannot be removed`, {
      hint: 'every start of Packrun installs it again at the version it ships; disable a rule or leave the actions unused instead',
      details: { pack: ref },
    });
  }
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
    await deactivate(paths, ref);
    // Jobs still running from the removed pack keep its version and env until they end.
    await collectPackGarbage(paths, ref);
    await rm(packCacheDir(paths, ref), { recursive: true, force: true });
  });
  await options.onRemoved?.(ref);
}
