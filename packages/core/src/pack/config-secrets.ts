import type { ConfigAttributeSchema, ConfigSchema } from './types.ts';
import { isPlainObject } from './yaml-file.ts';

/** What StackStorm shows in place of a secret value. */
export const maskedConfigSecret = '********';
const masked = maskedConfigSecret;

/**
 * The parts of a site config its schema marks `secret: true`, wherever they sit: top-level
 * attributes, nested `properties`, and the items of a list (`items: {secret: true}`, or a secret
 * property of each item). `visit` gets each secret value and returns what replaces it.
 */
function walkSecrets(values: Record<string, unknown>, schema: ConfigSchema, visit: (value: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  for (const [name, attribute] of Object.entries(schema)) {
    if (name in out) out[name] = walkValue(out[name], attribute, visit);
  }
  return out;
}

function walkValue(value: unknown, attribute: ConfigAttributeSchema, visit: (value: unknown) => unknown): unknown {
  if (value === undefined || value === null) return value;
  if (attribute.secret === true) return visit(value);
  if (attribute.properties && isPlainObject(value)) return walkSecrets(value, attribute.properties, visit);
  const items = attribute.items;
  if (Array.isArray(value) && items !== undefined) {
    return value.map((item, index) => {
      const itemSchema = Array.isArray(items) ? items[index] : items;
      return itemSchema === undefined ? item : walkValue(item, itemSchema, visit);
    });
  }
  return value;
}

/** Every string or number inside `value` (at any depth), as text: what must never be shown. */
export function secretLeaves(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (typeof value === 'number' || typeof value === 'bigint') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(secretLeaves);
  if (isPlainObject(value)) return Object.values(value).flatMap(secretLeaves);
  return [];
}

/** The text of every secret value of a config (see secretLeaves), for masking wherever it is shown. */
export function configSecretValues(values: Record<string, unknown>, schema: ConfigSchema): string[] {
  const found: string[] = [];
  walkSecrets(values, schema, (value) => {
    found.push(...secretLeaves(value));
    return value;
  });
  return found;
}

/** A copy of a config with every secret value replaced by `********`. */
export function maskConfigSecrets(values: Record<string, unknown>, schema: ConfigSchema): Record<string, unknown> {
  return walkSecrets(values, schema, () => masked);
}

/**
 * `incoming` (a config as a client sends it back) with every secret it left as `********` (as it
 * was shown) replaced by the value stored at the same place: secrets are written, never read
 * back. A masked secret with nothing stored there is left out.
 */
export function keepStoredSecrets(incoming: Record<string, unknown>, stored: Record<string, unknown>, schema: ConfigSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { ...incoming };
  for (const [name, attribute] of Object.entries(schema)) {
    if (!(name in out)) continue;
    const kept = keepValue(out[name], stored[name], attribute);
    if (kept === undefined) delete out[name];
    else out[name] = kept;
  }
  return out;
}

function keepValue(value: unknown, stored: unknown, attribute: ConfigAttributeSchema): unknown {
  if (attribute.secret === true) return value === masked ? stored : value;
  if (attribute.properties && isPlainObject(value)) return keepStoredSecrets(value, isPlainObject(stored) ? stored : {}, attribute.properties);
  const items = attribute.items;
  if (Array.isArray(value) && items !== undefined) {
    return value.map((item, index) => {
      const itemSchema = Array.isArray(items) ? items[index] : items;
      return itemSchema === undefined ? item : keepValue(item, Array.isArray(stored) ? stored[index] : undefined, itemSchema);
    });
  }
  return value;
}
