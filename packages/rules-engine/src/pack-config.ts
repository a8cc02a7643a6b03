import { loadInstalledPackMetadata, loadSiteConfig, packScopedLookup, readInstalledPack, type DataPaths, type KeyValues } from '@packrun/core';

/**
 * `config_context` for rule templates: the site config of the rule's pack (configs/<pack>.yaml
 * with defaults and datastore templates applied, in that pack's datastore scope), as its actions
 * receive it. A pack that is not installed, or has no config, gives an empty context.
 */
export function sitePackConfig(paths: DataPaths, keyValues: KeyValues): (pack: string) => Promise<Record<string, unknown>> {
  return async (packRef) => {
    let installed;
    try {
      installed = await readInstalledPack(paths, packRef);
    } catch {
      return {};
    }
    const pack = await loadInstalledPackMetadata(paths, installed);
    const config = await loadSiteConfig({
      pack,
      configsDir: paths.configs,
      kv: packScopedLookup({ get: async (name, options) => (await keyValues.get(name, options))?.value }, packRef),
    });
    return config.values;
  };
}
