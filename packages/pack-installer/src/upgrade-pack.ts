import path from 'node:path';
import { PackrunError, dataPaths, readInstalledPack, validatePackRef } from '@packrun/core';
import { installPack, type InstallOptions, type InstallResult } from './install-pack.ts';
import { parseDependency } from './sources/source-spec.ts';

/**
 * What installs a pack again from the source it was installed from: a pack that came from the
 * index by name is re-resolved to the newest version there (its name alone); a folder, archive or
 * git ref is fetched again as recorded (a branch moves on, a tag or commit stays). A pack
 * uploaded by a client has no source the server keeps.
 */
export function upgradeSource(pack: { ref: string; source: string }): string {
  if (pack.source.startsWith('upload:')) {
    throw new PackrunError('PACK_SOURCE_NOT_FOUND', `pack "${pack.ref}" was installed from a folder uploaded by a client, which the server does not keep`, {
      hint: 'install it again from its folder: `packrun pack install <folder>`',
      details: { pack: pack.ref, source: pack.source },
    });
  }
  // Folders and archive files are recorded as absolute paths; anything else is a URL or an index name.
  const spec = path.isAbsolute(pack.source) ? undefined : parseDependency(pack.source);
  return spec?.kind === 'index' ? spec.name : pack.source;
}

/** Installs a pack again from the source it was installed from (upgradeSource). */
export async function upgradePack(ref: string, options: InstallOptions): Promise<InstallResult> {
  const installed = await readInstalledPack(dataPaths(options.config.home), validatePackRef(ref));
  return installPack(upgradeSource(installed), options);
}
