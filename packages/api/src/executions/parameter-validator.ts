import {
  PackrunError,
  dataPaths,
  loadInstalledPackMetadata,
  loadSiteConfig,
  readInstalledPack,
  resolveParameters,
  type ActionRecord,
  type KeyValues,
} from '@packrun/core';
import type { ParameterValidator } from './execution-service.ts';

/**
 * Validates parameters against the installed pack's action before anything is stored or queued,
 * with the same resolver the runner uses (defaults rendered over the datastore and site config).
 * The input as given is what gets queued: the runner resolves it again at run time.
 */
export function packParameterValidator(options: { home: string; keyValues: KeyValues }): ParameterValidator {
  const paths = dataPaths(options.home);
  return async (action: ActionRecord, input: Record<string, unknown>) => {
    const pack = await loadInstalledPackMetadata(paths, await readInstalledPack(paths, action.pack));
    const meta = pack.actions.find((candidate) => candidate.ref === action.ref);
    if (!meta) {
      throw new PackrunError('ACTION_NOT_FOUND', `pack "${action.pack}" has no action "${action.name}" any more`, {
        details: { action: action.ref },
      });
    }
    const kv = {
      get: async (name: string, lookup: { scope: string; decrypt: boolean }) =>
        (await options.keyValues.get(name, { scope: lookup.scope === 'user' ? 'user' : 'system', decrypt: lookup.decrypt }))?.value,
    };
    const siteConfig = await loadSiteConfig({ pack, configsDir: paths.configs, kv });
    await resolveParameters({ action: meta, input, config: siteConfig.values, kv });
    return input;
  };
}
