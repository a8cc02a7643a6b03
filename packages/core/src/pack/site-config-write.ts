import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { isPackrunError, PackrunError } from '../errors.ts';
import { loadSiteConfig, type SiteConfig } from './site-config.ts';
import type { KeyValueLookup } from '../template/datastore-snapshot.ts';
import type { LoadedPack } from './types.ts';

/**
 * Writes `<configsDir>/<ref>.yaml` (st2's PUT /configs/{pack}): the values are first checked the
 * way every action and sensor will read them (loadSiteConfig: schema, types, templates rendered
 * over the pack's datastore scope) from a scratch folder, so a config that would fail them is
 * refused with PACK_CONFIG_INVALID and the one in place stays; then the file is replaced in one
 * rename, readable by the runtime's user only (it may hold secrets).
 */
export async function writeSiteConfig(options: { pack: LoadedPack; configsDir: string; values: Record<string, unknown>; kv: KeyValueLookup }): Promise<SiteConfig> {
  const text = yaml.dump(options.values, { noRefs: true, lineWidth: -1 });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-config-'));
  try {
    await writeFile(path.join(scratch, `${options.pack.ref}.yaml`), text, { mode: 0o600 });
    await loadSiteConfig({ pack: options.pack, configsDir: scratch, kv: options.kv });
  } catch (error) {
    throw refusalOfValues(error, options.pack.ref);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await mkdir(options.configsDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.configsDir, `${options.pack.ref}.yaml`);
  const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await writeFile(partial, text, { mode: 0o600 });
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return loadSiteConfig({ pack: options.pack, configsDir: options.configsDir, kv: options.kv });
}

/** loadSiteConfig's refusal of the scratch copy, said of the values given rather than of a file the caller never saw. */
function refusalOfValues(error: unknown, ref: string): unknown {
  if (!isPackrunError(error) || error.code !== 'PACK_CONFIG_INVALID') return error;
  const attribute = typeof error.details['attribute'] === 'string' ? error.details['attribute'] : undefined;
  return new PackrunError('PACK_CONFIG_INVALID', error.message.replace(`configs/${ref}.yaml`, `the config of pack "${ref}"`), {
    hint: `the pack's config.schema.yaml describes each attribute (GET /api/v1/config_schemas/${ref}); nothing was written`,
    details: { pack: ref, ...(attribute ? { attribute, field: `body.${attribute}` } : {}) },
  });
}
