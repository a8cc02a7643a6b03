import type { ParameterSpec } from '../api/types.ts';

/** The type a field is edited as: st2's parameter types (JSON Schema draft 4's). */
export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'json';

export function kindOf(spec: ParameterSpec): FieldKind {
  const type = Array.isArray(spec.type) ? spec.type.find((item) => item !== 'null') : spec.type;
  if (type === 'string' || type === 'integer' || type === 'number' || type === 'boolean' || type === 'array' || type === 'object') return type;
  return 'json';
}

/** Parameters in st2's order: by position, then the required ones, then by name. */
export function orderedParameters(parameters: Record<string, ParameterSpec>): Array<[string, ParameterSpec]> {
  return Object.entries(parameters).sort(([nameA, a], [nameB, b]) => {
    const positionA = a.position ?? Number.POSITIVE_INFINITY;
    const positionB = b.position ?? Number.POSITIVE_INFINITY;
    if (positionA !== positionB) return positionA - positionB;
    if (Boolean(a.required) !== Boolean(b.required)) return a.required ? -1 : 1;
    return nameA.localeCompare(nameB);
  });
}

/** A default as the text its field starts with. */
export function initialText(spec: ParameterSpec): string {
  if (spec.default === undefined || spec.default === null) return '';
  const kind = kindOf(spec);
  if (kind === 'array' || kind === 'object' || kind === 'json') return JSON.stringify(spec.default, null, 2);
  return String(spec.default);
}

/**
 * A field's text as the value to send, or a message saying what is wrong with it. undefined:
 * nothing to send (left empty, or left at its default, which the server applies itself; with
 * `sendDefaults`, for a receiver that applies none, such as an inquiry, a default is sent too).
 */
export function fieldValue(spec: ParameterSpec, raw: string | boolean, options: { sendDefaults?: boolean } = {}): { value?: unknown; problem?: string } {
  const kind = kindOf(spec);
  if (kind === 'boolean') {
    const checked = raw === true;
    return checked === (spec.default === true) && !options.sendDefaults ? {} : { value: checked };
  }
  const text = String(raw);
  if (text.trim() === '') return spec.required && (spec.default === undefined || options.sendDefaults) ? { problem: 'is required' } : {};
  if (text === initialText(spec) && !options.sendDefaults) return {};
  if (kind === 'string') return { value: text };
  if (kind === 'integer' || kind === 'number') {
    const number = Number(text);
    if (!Number.isFinite(number)) return { problem: 'must be a number' };
    if (kind === 'integer' && !Number.isInteger(number)) return { problem: 'must be a whole number' };
    if (spec.minimum !== undefined && number < spec.minimum) return { problem: `must be at least ${spec.minimum}` };
    if (spec.maximum !== undefined && number > spec.maximum) return { problem: `must be at most ${spec.maximum}` };
    return { value: number };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `is not valid JSON (${(error as Error).message})` };
  }
  if (kind === 'array' && !Array.isArray(parsed)) return { problem: 'must be a JSON array, e.g. ["a", "b"]' };
  if (kind === 'object' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) return { problem: 'must be a JSON object, e.g. {"key": "value"}' };
  return { value: parsed };
}

