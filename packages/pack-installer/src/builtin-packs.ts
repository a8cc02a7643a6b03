import { dataPaths, readInstalledPack, shippedBuiltinPacks } from '@packrun/core';
import { installPack, type InstallOptions, type InstallResult } from './install-pack.ts';
import type { InstalledPackRecord } from './installed-packs.ts';
import { packDigest } from './pack-digest.ts';

/** The shipped built-in pack folders whose content is not what is installed (or that are not installed). */
export async function outdatedBuiltinPacks(home: string): Promise<string[]> {
  const paths = dataPaths(home);
  const outdated: string[] = [];
  for (const { ref, dir } of shippedBuiltinPacks()) {
    const installed = (await readInstalledPack(paths, ref).catch(() => undefined)) as InstalledPackRecord | undefined;
    if (installed?.source === dir && installed.digest !== undefined && installed.digest === (await packDigest(dir))) continue;
    outdated.push(dir);
  }
  return outdated;
}

/**
 * Installs Packrun's built-in packs (the repository's `packs/core`) where they are missing, and
 * installs them again where the shipped content changed (another version of Packrun), so that
 * core.local and the rest are there from the first start and follow Packrun's upgrades. What is
 * installed already is recognised by its source and content digest; processes starting together
 * install it once (the check is made again under the pack's lock). Resolves to what was installed,
 * or undefined when everything was current.
 */
export async function ensureBuiltinPacks(options: InstallOptions): Promise<InstallResult | undefined> {
  const outdated = await outdatedBuiltinPacks(options.config.home);
  if (outdated.length === 0) return undefined;
  return installPack(outdated, { ...options, keepIdentical: true });
}
