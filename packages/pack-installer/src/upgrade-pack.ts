import path from 'node:path';
import { PackrunError, dataPaths, readInstalledPack, validatePackRef } from '@packrun/core';
import { installPack, type InstallOptions, type InstallResult } from './install-pack.ts';
import { parseDependency } from './sources/source-spec.ts';

/**
 * Installs a pack again from the source it was installed from. A pack that came from the index
 * by name is re-resolved to the newest version there; a folder, archive or git ref is fetched
 * again as recorded (a branch moves on, a tag or commit stays).
 */
export async function upgradePack(ref: string, options: InstallOptions): Promise<InstallResult> {
  const installed = await readInstalledPack(dataPaths(options.config.home), validatePackRef(ref));
  if (installed.source.startsWith('upload:')) {
    throw new PackrunError('PACK_SOURCE_NOT_FOUND', `pack "${installed.ref}" was installed from a folder uploaded by a client, which the server does not keep`, {
      hint: 'install it again from its folder: `packrun pack install <folder>`',
      details: { pack: installed.ref, source: installed.source },
    });
  }
  // Folders and archive files are recorded as absolute paths; anything else is a URL or an index name.
  const spec = path.isAbsolute(installed.source) ? undefined : parseDependency(installed.source);
  return installPack(spec?.kind === 'index' ? spec.name : installed.source, options);
}
