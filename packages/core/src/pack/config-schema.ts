import { PackrunError } from '../errors.ts';
import { pythonTypeAliases } from '../params/json-schema.ts';
import { typeOf } from './pack-meta.ts';
import type { ConfigAttributeSchema, ConfigSchema } from './types.ts';
import { isPlainObject } from './yaml-file.ts';

const jsonTypes = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object', 'null']);

/** Checks `config.schema.yaml` (attribute -> schema, nested `properties`); throws CONFIG_SCHEMA_INVALID naming the attribute. */
export function parseConfigSchema(value: unknown, file: string): ConfigSchema {
  const fail = (field: string | undefined, message: string): never => {
    throw new PackrunError('CONFIG_SCHEMA_INVALID', `${file}${field ? ` field "${field}"` : ''}: ${message}`, {
      hint: 'config.schema.yaml maps each attribute to {type, description, required, default, secret, properties}',
      details: { file, ...(field ? { field } : {}) },
    });
  };
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) return fail(undefined, `must be a mapping of attributes, got ${typeOf(value)}`);

  const checkAttribute = (schema: unknown, field: string): void => {
    if (!isPlainObject(schema)) return fail(field, `must be a mapping, got ${typeOf(schema)}`);
    const type = schema['type'];
    const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
    for (const one of types) {
      if (typeof one !== 'string' || !(jsonTypes.has(one) || one in pythonTypeAliases)) fail(`${field}.type`, `unknown type ${JSON.stringify(one)}`);
    }
    for (const key of ['required', 'secret'] as const) {
      const flag = schema[key];
      if (flag !== undefined && typeof flag !== 'boolean') fail(`${field}.${key}`, `must be true or false, got ${typeOf(flag)}`);
    }
    const properties = schema['properties'];
    if (properties !== undefined) {
      if (!isPlainObject(properties)) return fail(`${field}.properties`, `must be a mapping, got ${typeOf(properties)}`);
      for (const [name, nested] of Object.entries(properties)) checkAttribute(nested, `${field}.properties.${name}`);
    }
    const items = schema['items'];
    if (isPlainObject(items)) checkAttribute(items, `${field}.items`);
  };
  for (const [name, schema] of Object.entries(value)) checkAttribute(schema, name);
  return value as Record<string, ConfigAttributeSchema>;
}
