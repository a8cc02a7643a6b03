import {
  PackrunError,
  dataPaths,
  loadInstalledPackMetadata,
  loadSiteConfig,
  readInstalledPack,
  givenValuesFrom,
  packScopedLookup,
  resolveParameters,
  type ActionRecord,
  type KeyValueLookup,
  type KeyValues,
  type ParameterOrigin,
} from '@packrun/core';
import type { ParameterValidator } from './execution-service.ts';

/**
 * Validates parameters against the installed pack's action before anything is stored or queued,
 * with the same resolver and the same scopes the runner uses: defaults rendered in the pack's
 * scope, the given values as `origin` says (the caller's rights, or data never rendered). The input
 * as given is what gets queued: the runner resolves it again at run time.
 */
export function packParameterValidator(options: { home: string; keyValues: KeyValues }): ParameterValidator {
  const paths = dataPaths(options.home);
  return async (action: ActionRecord, input: Record<string, unknown>, origin: ParameterOrigin, user: string) => {
    const pack = await loadInstalledPackMetadata(paths, await readInstalledPack(paths, action.pack));
    const meta = pack.actions.find((candidate) => candidate.ref === action.ref);
    if (!meta) {
      throw new PackrunError('ACTION_NOT_FOUND', `pack "${action.pack}" has no action "${action.name}" any more`, {
        details: { action: action.ref },
      });
    }
    const callerKv: KeyValueLookup = {
      get: async (name, lookup) => (await options.keyValues.get(name, { ...lookup, user }))?.value,
    };
    const packKv = packScopedLookup(callerKv, pack.ref);
    const siteConfig = await loadSiteConfig({ pack, configsDir: paths.configs, kv: packKv });
    await resolveParameters({ action: meta, input, given: givenValuesFrom(origin, callerKv, siteConfig), config: siteConfig.values, kv: packKv, actionContext: { user } });
    return input;
  };
}
