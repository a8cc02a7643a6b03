import path from 'node:path';
import { dataPaths, readInstalledPack, validatePackRef } from '@packrun/core';
import { installPack, type InstallOptions, type InstallResult } from './install-pack.ts';
import { parseDependency } from './sources/source-spec.ts';

/**
 * Installs a pack again from the source it was installed from. A pack that came from the index
 * by name is re-resolved to the newest version there; a folder, archive or git ref is fetched
 * again as recorded (a branch moves on, a tag or commit stays).
 */
export async function upgradePack(ref: string, options: InstallOptions): Promise<InstallResult> {
  const installed = await readInstalledPack(dataPaths(options.config.home), validatePackRef(ref));
  // Folders and archive files are recorded as absolute paths; anything else is a URL or an index name.
  const spec = path.isAbsolute(installed.source) ? undefined : parseDependency(installed.source);
  return installPack(spec?.kind === 'index' ? spec.name : installed.source, options);
}
