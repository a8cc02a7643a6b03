import path from 'node:path';
import {
  dataPaths,
  keepStoredSecrets,
  keyValueLookup,
  loadInstalledPackMetadata,
  maskConfigSecrets,
  packScopedLookup,
  PackrunError,
  readInstalledPack,
  readYamlFile,
  writeSiteConfig,
  type ConfigSchema,
  type KeyValues,
  type LoadedPack,
  type PackrunConfig,
  type Store,
} from '@packrun/core';

/** st2's PackConfig: the values of `configs/<pack>.yaml` as written (templates unrendered). */
export interface St2PackConfig {
  id: string;
  pack: string;
  values: Record<string, unknown>;
}

/** st2's ConfigSchema: the attributes of the pack's config.schema.yaml. */
export interface St2ConfigSchema {
  id: string;
  pack: string;
  attributes: ConfigSchema;
}

/**
 * Pack configs as st2's /configs and /config_schemas routes serve them: read from and written to
 * PACKRUN_HOME/configs, which every action, sensor and rule reads at its next use. Secrets are
 * shown as `********` unless the caller may see them, and a `********` sent back keeps the stored
 * value, so a form can show a config and save it without ever holding its secrets.
 */
export function packConfigs(deps: { config: PackrunConfig; store: Store; keyValues: KeyValues }) {
  const paths = dataPaths(deps.config.home);

  async function installedPack(ref: string): Promise<LoadedPack> {
    if (!(await deps.store.packs.get(ref))) {
      throw new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, { details: { pack: ref } });
    }
    return loadInstalledPackMetadata(paths, await readInstalledPack(paths, ref));
  }

  /** The file's values as written, or undefined when the pack has none. */
  async function written(ref: string): Promise<Record<string, unknown> | undefined> {
    const read = await readYamlFile(path.join(paths.configs, `${ref}.yaml`));
    if (!read.ok) {
      if (read.reason === 'missing') return undefined;
      throw new PackrunError('PACK_CONFIG_INVALID', `configs/${ref}.yaml: ${read.message}`, { details: { pack: ref } });
    }
    const value = read.value;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  }

  const view = (pack: LoadedPack, values: Record<string, unknown>, showSecrets: boolean): St2PackConfig => ({
    id: pack.ref,
    pack: pack.ref,
    values: showSecrets ? values : maskConfigSecrets(values, pack.configSchema ?? {}),
  });

  const schemaView = (pack: LoadedPack): St2ConfigSchema => ({ id: pack.ref, pack: pack.ref, attributes: pack.configSchema ?? {} });

  return {
    async get(ref: string, showSecrets: boolean): Promise<St2PackConfig> {
      const pack = await installedPack(ref);
      const values = await written(ref);
      if (values === undefined) {
        throw new PackrunError('PACK_CONFIG_NOT_FOUND', `pack "${ref}" has no config`, {
          hint: `PUT /api/v1/configs/${ref} writes one; GET /api/v1/config_schemas/${ref} says what it holds`,
          details: { pack: ref },
        });
      }
      return view(pack, values, showSecrets);
    },

    async list(showSecrets: boolean): Promise<St2PackConfig[]> {
      const found: St2PackConfig[] = [];
      for (const record of await deps.store.packs.find({}, { sort: { id: 1 } })) {
        const values = await written(record.id).catch(() => undefined);
        if (values !== undefined) found.push(view(await installedPack(record.id), values, showSecrets));
      }
      return found;
    },

    async put(ref: string, incoming: Record<string, unknown>, showSecrets: boolean): Promise<St2PackConfig> {
      const pack = await installedPack(ref);
      const values = keepStoredSecrets(incoming, (await written(ref)) ?? {}, pack.configSchema ?? {});
      await writeSiteConfig({ pack, configsDir: paths.configs, values, kv: packScopedLookup(keyValueLookup(deps.keyValues), ref) });
      return view(pack, values, showSecrets);
    },

    async schema(ref: string): Promise<St2ConfigSchema> {
      const pack = await installedPack(ref);
      if (!pack.configSchema) {
        throw new PackrunError('PACK_CONFIG_SCHEMA_NOT_FOUND', `pack "${ref}" has no config.schema.yaml`, { details: { pack: ref } });
      }
      return schemaView(pack);
    },

    async schemas(): Promise<St2ConfigSchema[]> {
      const found: St2ConfigSchema[] = [];
      for (const record of await deps.store.packs.find({}, { sort: { id: 1 } })) {
        const pack = await installedPack(record.id);
        if (pack.configSchema) found.push(schemaView(pack));
      }
      return found;
    },
  };
}

export type PackConfigs = ReturnType<typeof packConfigs>;
