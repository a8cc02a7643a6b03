import path from 'node:path';
import { PackrunError, isPackrunError } from '../errors.ts';
import { coerceCliValue } from '../params/cli-values.ts';
import { compileSchema, pythonTypeAliases } from '../params/json-schema.ts';
import { buildDatastoreSnapshot, type KeyValueLookup } from '../template/datastore-snapshot.ts';
import { isTemplate, renderValue } from '../template/render.ts';
import type { ConfigAttributeSchema, ConfigSchema, LoadedPack, ParameterSpec, ParameterType } from './types.ts';
import { fillConfigDefaults, listItemSchemas, objectPropertySchemas } from './config-defaults.ts';
import { configSecretValues, maskConfigSecrets } from './config-secrets.ts';
import { readSiteConfigFile } from './site-config-file.ts';
import { isPlainObject } from './yaml-file.ts';
import { typeOf } from './pack-meta.ts';

export interface LoadSiteConfigOptions {
  pack: LoadedPack;
  /** The folder holding `<ref>.yaml` site configs (PACKRUN_HOME/configs). */
  configsDir: string;
  /** Datastore for `{{ st2kv.system.x }}` values; needed only when the config uses templates. */
  kv?: KeyValueLookup;
}

export interface SiteConfig {
  /** The config with defaults filled and templates rendered: what actions and sensors get. */
  values: Record<string, unknown>;
  /** The text of every value the schema marks `secret: true` (in lists and nested objects too), to mask wherever config is shown. */
  secretValues: string[];
  /** `values` with every secret value replaced by `********`: the config as someone who may not decrypt sees it. */
  masked: Record<string, unknown>;
  /** The config file, and whether it exists (without it, the config is the schema's defaults). */
  file: string;
  exists: boolean;
}

/**
 * Reads `<configsDir>/<ref>.yaml` the way StackStorm's config loader serves it: defaults from
 * `config.schema.yaml` filled in (inside objects and list items too, see config-defaults.ts), string values that are Jinja rendered
 * over the datastore (decrypted for `secret: true` attributes), rendered strings cast to the
 * attribute's type, and the result validated against the schema. Errors are PACK_CONFIG_INVALID
 * naming `configs/<ref>.yaml` and the attribute path.
 */
export async function loadSiteConfig(options: LoadSiteConfigOptions): Promise<SiteConfig> {
  const { pack } = options;
  const file = path.join(options.configsDir, `${pack.ref}.yaml`);
  const shownFile = `configs/${pack.ref}.yaml`;
  const fail = (attribute: string | undefined, message: string, cause?: unknown): never => {
    throw new PackrunError('PACK_CONFIG_INVALID', `${shownFile}${attribute ? ` attribute "${attribute}"` : ''}: ${message}`, {
      hint: `fix ${file}; the pack's config.schema.yaml describes each attribute`,
      details: { file, pack: pack.ref, ...(attribute ? { attribute } : {}) },
      cause,
    });
  };

  const read = await readSiteConfigFile(file);
  if (!read.ok && read.reason !== 'missing') fail(undefined, read.message);
  const exists = read.ok;
  const raw = read.ok ? (read.value ?? {}) : {};
  if (!isPlainObject(raw)) return fail(undefined, `must be a mapping of attributes, got ${typeOf(raw)}`);

  const schema = pack.configSchema ?? {};
  const written = fillConfigDefaults(raw, schema, { createAbsent: false });
  await renderTemplates(written, schema, '', options.kv, fail);
  if (exists) validateAgainstSchema(written, schema, fail);
  const values = fillConfigDefaults(written, schema, { createAbsent: true });
  return { values, secretValues: configSecretValues(values, schema), masked: maskConfigSecrets(values, schema), file, exists };
}

/**
 * Renders every template string in the config, inside objects and lists too (st2's
 * `_assign_dynamic_config_values`), each with the schema of its own position.
 */
async function renderTemplates(
  values: Record<string, unknown> | unknown[],
  schemas: Record<string, ConfigAttributeSchema | undefined>,
  prefix: string,
  kv: KeyValueLookup | undefined,
  fail: (attribute: string | undefined, message: string, cause?: unknown) => never,
): Promise<void> {
  const entries: Array<[string, unknown]> = Array.isArray(values) ? values.map((value, index) => [String(index), value]) : Object.entries(values);
  for (const [name, value] of entries) {
    const attribute = schemas[name];
    const where = prefix + name;
    if (isPlainObject(value)) {
      await renderTemplates(value, attribute ? objectPropertySchemas(attribute, Object.keys(value)) : {}, `${where}.`, kv, fail);
      continue;
    }
    if (Array.isArray(value)) {
      await renderTemplates(value, attribute ? Object.fromEntries(listItemSchemas(attribute, value.length).map((schema, index) => [String(index), schema])) : {}, `${where}.`, kv, fail);
      continue;
    }
    if (!isTemplate(value)) continue;
    if (!kv) fail(where, 'is a template but no datastore was given to render it');
    let rendered: unknown;
    try {
      const st2kv = await buildDatastoreSnapshot(value, kv!, { decrypt: attribute?.secret === true || value.includes('decrypt_kv') });
      rendered = renderValue(value, { st2kv }, { what: `configs attribute "${where}"` });
    } catch (error) {
      if (!isPackrunError(error)) throw error;
      fail(where, error.message, error);
    }
    const cast = castRendered(rendered, attribute, where, fail);
    if (Array.isArray(values)) values[Number(name)] = cast;
    else values[name] = cast;
  }
}

/** A rendered string becomes the attribute's type, as StackStorm's loader does for datastore values. */
function castRendered(
  value: unknown,
  attribute: ConfigAttributeSchema | undefined,
  where: string,
  fail: (attribute: string | undefined, message: string) => never,
): unknown {
  const type = typeof attribute?.type === 'string' ? (pythonTypeAliases[attribute.type] ?? attribute.type) : undefined;
  if (typeof value !== 'string' || type === undefined || type === 'string') return value;
  if (value === '') return null;
  const spec: ParameterSpec = {
    name: where, type: type as ParameterType, required: false, hasDefault: false, secret: attribute?.secret === true,
    immutable: false, schema: attribute ?? {}, runnerParameter: false, raw: {},
  };
  try {
    return coerceCliValue(spec, value);
  } catch {
    return fail(where, `rendered to ${attribute?.secret ? 'a value' : JSON.stringify(value)} which is not of type ${type}`);
  }
}

/** config.schema.yaml uses draft-3 style `required: true`; draft 4 wants a `required` list on the parent. */
function toDraft4(schema: ConfigSchema): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, attribute] of Object.entries(schema)) {
    const { required: isRequired, secret: _secret, properties: nested, items, ...rest } = attribute;
    const converted: Record<string, unknown> = { ...rest };
    if (nested) Object.assign(converted, toDraft4(nested));
    if (isPlainObject(items)) converted['items'] = itemSchema(items as ConfigAttributeSchema);
    properties[name] = converted;
    if (isRequired === true) required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

function itemSchema(items: ConfigAttributeSchema): Record<string, unknown> {
  const { required: _required, secret: _secret, properties, ...rest } = items;
  return properties ? { ...rest, ...toDraft4(properties) } : rest;
}

const draft4Cache = new WeakMap<ConfigSchema, Record<string, unknown>>();

function validateAgainstSchema(
  values: Record<string, unknown>,
  schema: ConfigSchema,
  fail: (attribute: string | undefined, message: string) => never,
): void {
  let draft4 = draft4Cache.get(schema);
  if (!draft4) {
    draft4 = toDraft4(schema);
    draft4Cache.set(schema, draft4);
  }
  // An optional attribute with no value is left as null, which StackStorm accepts.
  const check = compileSchema(draft4);
  if (check(dropNulls(values))) return;
  const error = check.errors![0]!;
  const segments = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required') segments.push(String(error.params['missingProperty']));
  const attribute = segments.join('.') || undefined;
  if (error.keyword === 'required') fail(attribute, 'is required');
  if (error.keyword === 'enum') fail(attribute, `must be one of ${JSON.stringify(error.params['allowedValues'])}`);
  fail(attribute, error.message ?? 'is invalid');
}

function dropNulls(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, isPlainObject(value) ? dropNulls(value) : value]),
  );
}
