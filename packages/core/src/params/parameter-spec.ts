import { PackrunError } from '../errors.ts';
import { parameterTypes, type ParameterSpec, type ParameterType } from '../pack/types.ts';
import { isPlainObject } from '../pack/yaml-file.ts';
import { typeOf } from '../pack/pack-meta.ts';
import { compileSchema } from './json-schema.ts';

/** StackStorm's attributes on top of JSON schema; they are not part of the value's schema. */
const stackstormAttributes = new Set(['required', 'default', 'secret', 'immutable', 'position']);

/** Attributes an action may change on a runner parameter (StackStorm's RUNNER_PARAM_OVERRIDABLE_ATTRS). */
const runnerOverridableAttributes = new Set(['default', 'description', 'enum', 'immutable', 'required']);

export interface ParameterSpecContext {
  /** The metadata file, named in every error. */
  file: string;
  /** The runner's own parameters, which the action may refer to and partly override. */
  runnerParameters?: Record<string, ParameterSpec>;
}

/**
 * Validates a `parameters:` mapping the way StackStorm registers an action (st2common validators):
 * known types only, booleans where booleans belong, positions unique and contiguous, an immutable
 * parameter has a default (its own or the runner's), runner parameters only partly overridable.
 * Action parameters are merged over the runner's, attribute by attribute, as StackStorm does.
 */
export function parseParameterSpecs(raw: unknown, context: ParameterSpecContext): Record<string, ParameterSpec> {
  const fail = (field: string, message: string): never => {
    throw new PackrunError('ACTION_INVALID', `${context.file} field "${field}": ${message}`, {
      hint: 'each parameter is a JSON schema (draft 4) plus required, default, secret, immutable, position',
      details: { file: context.file, field },
    });
  };
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) return fail('parameters', `must be a mapping, got ${typeOf(raw)}`);

  const runner = context.runnerParameters ?? {};
  const specs: Record<string, ParameterSpec> = {};
  for (const [name, runnerSpec] of Object.entries(runner)) specs[name] = runnerSpec;

  const positions = new Map<number, string>();
  for (const [name, value] of Object.entries(raw)) {
    const field = `parameters.${name}`;
    const own = value === null || value === undefined ? {} : value;
    if (!isPlainObject(own)) return fail(field, `must be a mapping, got ${typeOf(own)}`);
    const runnerSpec = runner[name];
    if (runnerSpec) {
      for (const [attribute, attributeValue] of Object.entries(own)) {
        if (!runnerOverridableAttributes.has(attribute) && !sameJson(attributeValue, runnerSpec.raw[attribute])) {
          fail(`${field}.${attribute}`, `"${attribute}" of the runner parameter "${name}" cannot be overridden`);
        }
      }
      if (own['immutable'] !== undefined && runnerSpec.raw['immutable'] !== undefined) {
        fail(`${field}.immutable`, `"${name}" is declared immutable by the runner and cannot be changed`);
      }
    }
    const merged = runnerSpec ? { ...runnerSpec.raw, ...own } : own;
    const spec = parseOne(name, merged, field, fail, runnerSpec !== undefined);
    if (spec.immutable && !spec.hasDefault) fail(`${field}.immutable`, `immutable parameter "${name}" requires a default value`);
    if (spec.position !== undefined) {
      const other = positions.get(spec.position);
      if (other !== undefined) fail(`${field}.position`, `parameters "${other}" and "${name}" have the same position ${spec.position}`);
      positions.set(spec.position, name);
    }
    specs[name] = spec;
  }

  const sorted = [...positions.keys()].sort((a, b) => a - b);
  const first = sorted[0];
  if (first !== undefined && sorted.some((position, index) => position !== first + index)) {
    fail('parameters', `positions ${sorted.join(', ')} are not contiguous`);
  }
  return specs;
}

function parseOne(
  name: string,
  raw: Record<string, unknown>,
  field: string,
  fail: (field: string, message: string) => never,
  runnerParameter: boolean,
): ParameterSpec {
  const flag = (key: string): boolean => {
    const value = raw[key];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') return fail(`${field}.${key}`, `must be true or false, got ${typeOf(value)}`);
    return value;
  };
  const type = raw['type'];
  if (type !== undefined && (typeof type !== 'string' || !(parameterTypes as readonly string[]).includes(type))) {
    fail(`${field}.type`, `unknown type ${JSON.stringify(type)} (one of ${parameterTypes.join(', ')})`);
  }
  const position = raw['position'];
  if (position !== undefined && (typeof position !== 'number' || !Number.isInteger(position) || position < 0)) {
    fail(`${field}.position`, `must be an integer >= 0, got ${JSON.stringify(position)}`);
  }
  const enumValues = raw['enum'];
  if (enumValues !== undefined && (!Array.isArray(enumValues) || enumValues.length === 0)) {
    fail(`${field}.enum`, 'must be a non-empty list');
  }
  const description = raw['description'];
  if (description !== undefined && description !== null && typeof description !== 'string') {
    fail(`${field}.description`, `must be a string, got ${typeOf(description)}`);
  }

  const schema: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!stackstormAttributes.has(key)) schema[key] = value;

  try {
    compileSchema(schema);
  } catch (error) {
    fail(field, `is not a valid JSON schema: ${error instanceof Error ? error.message : String(error)}`);
  }

  const spec: ParameterSpec = {
    name,
    required: flag('required'),
    hasDefault: 'default' in raw,
    secret: flag('secret'),
    immutable: flag('immutable'),
    schema,
    runnerParameter,
    raw,
  };
  if (type !== undefined) spec.type = type as ParameterType;
  if (typeof description === 'string') spec.description = description;
  if ('default' in raw) spec.default = raw['default'];
  if (position !== undefined) spec.position = position as number;
  if (Array.isArray(enumValues)) spec.enum = enumValues;
  return spec;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
