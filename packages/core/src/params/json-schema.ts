import AjvModule, { type ValidateFunction, type ErrorObject } from 'ajv-draft-04';
import { underWatchdog } from '../limits/watchdog.ts';

// The package is CommonJS: under nodenext its default import is the module, whose `default` is the class.
const Ajv = AjvModule.default;

/** How long one `pattern` (or `patternProperties` key) may take to test one string. */
const patternTimeoutMs = 100;

/**
 * The regular expressions of `pattern` and `patternProperties`, which come from pack metadata and
 * inquiry schemas and are tested against callers' values and trigger payloads: JavaScript's engine
 * backtracks, and `^(a+)+$` against thirty characters held the runtime for half a minute (forty:
 * hours). Each test runs under V8's watchdog; one past its time does not match, so the value is
 * refused (fails closed) and the runtime goes on.
 */
function boundedRegExp(pattern: string, flags: string): { test: (text: string) => boolean } {
  const regex = new RegExp(pattern, flags);
  return {
    test(text) {
      const outcome = underWatchdog(() => regex.test(text), patternTimeoutMs);
      return 'value' in outcome && outcome.value;
    },
  };
}
// Ajv names the engine by this in code it writes out for standalone use, which Packrun never does.
boundedRegExp.code = 'boundedRegExp';

/**
 * One draft-04 validator for parameters, config and payload schemas. Not strict: pack schemas carry
 * keywords of their own (e.g. `secret`, `position` in config schemas) that must not fail a pack.
 */
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: boundedRegExp } });

/**
 * Keyed by the schema's text, not its object: services reload pack metadata per request, and a
 * cache by object (ajv's own included) would compile again and keep every copy forever.
 */
const cache = new Map<string, ValidateFunction>();

/**
 * In front of it, by object but weakly: cached pack metadata hands the same schema object to every
 * execution, which then skips normalizing and serializing it; a dropped copy frees its entry.
 * Schemas are metadata and never changed once parsed.
 */
const bySchemaObject = new WeakMap<object, ValidateFunction>();

/**
 * Compiles (once per distinct schema) or throws the schema's own error message. Accepts draft-3 style
 * `required: true` inside `properties`, as StackStorm's CustomValidator does (payload schemas,
 * nested parameter schemas and config schemas of real packs use it).
 */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const known = bySchemaObject.get(schema);
  if (known) return known;
  const normalized = draft3RequiredToDraft4(schema) as Record<string, unknown>;
  const key = JSON.stringify(normalized);
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(normalized);
    ajv.removeSchema(normalized);
    cache.set(key, validate);
  }
  bySchemaObject.set(schema, validate);
  return validate;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Python type names that Exchange packs write in payload and config schemas (`type: list`).
 * StackStorm's validator does not reject the schema for them, so they are read as what they mean.
 */
export const pythonTypeAliases: Readonly<Record<string, string>> = {
  list: 'array',
  tuple: 'array',
  dict: 'object',
  str: 'string',
  int: 'integer',
  float: 'number',
  bool: 'boolean',
  none: 'null',
};

function jsonType(type: unknown): unknown {
  if (typeof type === 'string') return pythonTypeAliases[type] ?? type;
  if (Array.isArray(type)) return type.map(jsonType);
  return type;
}

/**
 * A copy where each boolean `required` becomes an entry in the parent's `required` list and
 * Python type names become JSON ones.
 */
function draft3RequiredToDraft4(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(draft3RequiredToDraft4);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'required' && typeof value === 'boolean') continue;
    if (key === 'type') {
      out[key] = jsonType(value);
      continue;
    }
    if (key === 'enum' || key === 'default' || key === 'const') out[key] = value;
    else if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, draft3RequiredToDraft4(sub)]));
    } else out[key] = draft3RequiredToDraft4(value);
  }
  const properties = schema['properties'];
  if (isObject(properties)) {
    const required = Object.entries(properties).filter(([, sub]) => isObject(sub) && sub['required'] === true).map(([name]) => name);
    if (required.length > 0) {
      const existing = Array.isArray(schema['required']) ? (schema['required'] as unknown[]) : [];
      out['required'] = [...new Set([...existing, ...required])];
    }
  }
  return out;
}

/** Human-readable, one line per problem, paths like `/items/0`. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'does not match its schema';
  return errors
    .map((error) => {
      const where = error.instancePath ? `${error.instancePath} ` : '';
      if (error.keyword === 'enum') return `${where}must be one of ${JSON.stringify(error.params['allowedValues'])}`;
      return `${where}${error.message ?? 'is invalid'}`;
    })
    .join('; ');
}
