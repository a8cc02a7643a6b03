import type { ConfigAttributeSchema, ConfigSchema } from './types.ts';
import { isPlainObject } from './yaml-file.ts';

export interface FillDefaultsOptions {
  /**
   * Also create an absent object or list whose schema describes its contents (`{}` / `[]`), so
   * that the defaults inside it are there, as StackStorm's loader does. Off for the pass whose
   * result is validated: the operator's file is checked as written, not objects they never wrote.
   */
  createAbsent: boolean;
}

/**
 * Fills a site config's defaults from `config.schema.yaml` the way StackStorm's config loader
 * does (st2common/util/config_loader.py, `_assign_default_values`): at every level, inside
 * objects (`properties`, then `patternProperties`, then `additionalProperties` for the keys the
 * object has) and inside the items of lists (`items` as one schema for every item or a list of
 * positional schemas, `additionalItems` past them). A value the operator gave, even an empty
 * one, is kept; `null` counts as absent (Packrun's rule for top-level attributes, kept at every
 * depth). Returns a new value; the input is not changed.
 */
export function fillConfigDefaults(values: Record<string, unknown>, schema: ConfigSchema, options: FillDefaultsOptions): Record<string, unknown> {
  const out = structuredClone(values);
  fillObject(out, schema, options);
  return out;
}

function fillObject(target: Record<string, unknown>, properties: ConfigSchema, options: FillDefaultsOptions): void {
  for (const [name, attribute] of Object.entries(properties)) {
    if (!isPlainObject(attribute)) continue;
    if ((target[name] === undefined || target[name] === null) && 'default' in attribute) target[name] = structuredClone(attribute.default);
    const filled = fillValue(target[name], attribute, options);
    if (filled !== undefined) target[name] = filled;
  }
}

/** The value with its nested defaults, or undefined to leave an absent value absent. */
function fillValue(value: unknown, attribute: ConfigAttributeSchema, options: FillDefaultsOptions): unknown {
  const absent = value === undefined || value === null;
  if (describesObject(attribute) && (isPlainObject(value) || (absent && options.createAbsent))) {
    const object = isPlainObject(value) ? value : {};
    fillObject(object, objectPropertySchemas(attribute, Object.keys(object)), options);
    return object;
  }
  if (describesList(attribute) && (Array.isArray(value) || (absent && options.createAbsent))) {
    const list: unknown[] = Array.isArray(value) ? value : [];
    listItemSchemas(attribute, list.length).forEach((itemSchema, index) => {
      if (index === list.length && 'default' in itemSchema) list.push(structuredClone(itemSchema.default));
      if (index >= list.length) return;
      const filled = fillValue(list[index], itemSchema, options);
      if (filled !== undefined) list[index] = filled;
    });
    return list;
  }
  return undefined;
}

function typeIs(attribute: ConfigAttributeSchema, wanted: string[]): boolean {
  const types = Array.isArray(attribute.type) ? attribute.type : [attribute.type];
  return types.some((type) => typeof type === 'string' && wanted.includes(type));
}

function describesObject(attribute: ConfigAttributeSchema): boolean {
  return typeIs(attribute, ['object', 'dict']) && (isPlainObject(attribute.properties) || isPlainObject(attribute['patternProperties']) || isPlainObject(attribute.additionalProperties));
}

function describesList(attribute: ConfigAttributeSchema): boolean {
  return typeIs(attribute, ['array', 'list']) && (isPlainObject(attribute.items) || Array.isArray(attribute.items) || isPlainObject(attribute['additionalItems']));
}

/**
 * One schema per property: the declared `properties`, then for each other key the schemas of
 * every `patternProperties` pattern it matches (merged), else `additionalProperties`.
 */
export function objectPropertySchemas(attribute: ConfigAttributeSchema, keys: string[]): ConfigSchema {
  const declared = isPlainObject(attribute.properties) ? attribute.properties : {};
  const out: ConfigSchema = { ...declared };
  const patterns = isPlainObject(attribute['patternProperties']) ? Object.entries(attribute['patternProperties']) : [];
  const additional = isPlainObject(attribute.additionalProperties) ? attribute.additionalProperties : undefined;
  for (const key of keys) {
    if (Object.hasOwn(declared, key)) continue;
    const matched = patterns.filter(([pattern, schema]) => isPlainObject(schema) && patternMatches(pattern, key)).map(([, schema]) => schema as ConfigAttributeSchema);
    if (matched.length > 0) out[key] = Object.assign({}, ...matched) as ConfigAttributeSchema;
    else if (additional) out[key] = additional;
  }
  return out;
}

/** A pattern JavaScript cannot read (Python-only syntax) matches nothing, as if it were absent. */
function patternMatches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(key);
  } catch {
    return false;
  }
}

/** One schema per list position up to `count`: `items` for all, or positional `items` then `additionalItems`. */
export function listItemSchemas(attribute: ConfigAttributeSchema, count: number): ConfigAttributeSchema[] {
  const { items } = attribute;
  if (isPlainObject(items)) return Array.from({ length: count }, () => items as ConfigAttributeSchema);
  const positional = (Array.isArray(items) ? items : []).map((item): ConfigAttributeSchema => (isPlainObject(item) ? item : {}));
  const additional = attribute['additionalItems'];
  if (positional.length >= count || !isPlainObject(additional)) return positional;
  return [...positional, ...Array.from({ length: count - positional.length }, () => additional as ConfigAttributeSchema)];
}
