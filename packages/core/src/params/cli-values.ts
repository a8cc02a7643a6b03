import { PackrunError } from '../errors.ts';
import type { ActionMeta, ParameterSpec } from '../pack/types.ts';
import { parsePythonLiteral } from './python-literal.ts';

const trueWords = new Set(['true', '1', 'yes', 'y', 'on']);
const falseWords = new Set(['false', '0', 'no', 'n', 'off']);

function invalid(spec: ParameterSpec, raw: string, expected: string): PackrunError {
  return new PackrunError('PARAMETER_INVALID', `parameter "${spec.name}": ${JSON.stringify(raw)} is not ${expected}`, {
    hint: `give ${spec.name}=<${expected}>`,
    details: { parameter: spec.name, value: spec.secret ? '********' : raw },
  });
}

function scalar(spec: ParameterSpec, type: string | undefined, raw: string): unknown {
  const text = raw.trim();
  switch (type) {
    case 'integer':
      if (!/^[+-]?\d+$/.test(text)) throw invalid(spec, raw, 'an integer');
      return Number(text);
    case 'number': {
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) throw invalid(spec, raw, 'a number');
      return value;
    }
    case 'boolean': {
      const word = text.toLowerCase();
      if (trueWords.has(word)) return true;
      if (falseWords.has(word)) return false;
      throw invalid(spec, raw, 'a boolean (true/false, 1/0, yes/no)');
    }
    case 'null':
      if (text !== 'null' && text !== '') throw invalid(spec, raw, 'null');
      return null;
    default:
      return raw;
  }
}

/** JSON, or failing that a Python literal, as StackStorm's casts read objects and arrays. */
function parseJson(spec: ParameterSpec, raw: string, expected: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    try {
      return parsePythonLiteral(raw);
    } catch {
      throw invalid(spec, raw, expected);
    }
  }
}

/**
 * Converts a `name=value` string from the command line to the parameter's type: integer, number,
 * boolean (true/false, 1/0, yes/no), array (JSON or a Python literal, or comma-separated items
 * converted by `items.type`), object (JSON or a Python literal, or `k1=v1,k2=v2`). Strings and untyped parameters stay strings.
 */
export function coerceCliValue(spec: ParameterSpec, raw: string): unknown {
  if (spec.type === 'array') {
    if (raw.trim().startsWith('[')) {
      const value = parseJson(spec, raw, 'a JSON array');
      if (!Array.isArray(value)) throw invalid(spec, raw, 'a JSON array');
      return value;
    }
    const items = spec.schema['items'];
    const itemType = typeof items === 'object' && items !== null && !Array.isArray(items) ? (items as { type?: unknown }).type : undefined;
    if (raw.trim() === '') return [];
    return raw.split(',').map((item) => scalar(spec, typeof itemType === 'string' ? itemType : undefined, item.trim()));
  }
  if (spec.type === 'object') {
    if (raw.trim().startsWith('{')) {
      const value = parseJson(spec, raw, 'a JSON object');
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(spec, raw, 'a JSON object');
      return value;
    }
    const object: Record<string, string> = {};
    for (const pair of raw.split(',')) {
      const at = pair.indexOf('=');
      if (at <= 0) throw invalid(spec, raw, 'a JSON object or key=value pairs');
      object[pair.slice(0, at).trim()] = pair.slice(at + 1);
    }
    return object;
  }
  return scalar(spec, spec.type, raw);
}

/** Parses `name=value` arguments for an action, refusing names the action does not have. */
export function parseCliParameters(action: ActionMeta, args: readonly string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) {
      throw new PackrunError('PARAMETER_INVALID', `"${arg}" is not name=value`, {
        hint: 'give parameters as name=value',
        details: { argument: arg },
      });
    }
    const name = arg.slice(0, at);
    const spec = action.parameters[name];
    if (!spec) throw unknownParameter(action, name);
    input[name] = coerceCliValue(spec, arg.slice(at + 1));
  }
  return input;
}

export function unknownParameter(action: ActionMeta, name: string): PackrunError {
  return new PackrunError('PARAMETER_INVALID', `action ${action.ref} has no parameter "${name}"`, {
    hint: `its parameters are: ${Object.keys(action.parameters).sort().join(', ') || '(none)'}`,
    details: { action: action.ref, parameter: name },
  });
}
