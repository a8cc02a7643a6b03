import type { ParameterSpec } from '@packrun/core';

/**
 * StackStorm's argument passing for shell scripts: named arguments first as `<kwarg_op>name=value`
 * (a true boolean as the bare flag; false, null and empty strings skipped), then the positional
 * ones sorted by `position`, each serialised by its declared type: booleans as 1/0, arrays
 * comma-joined, objects as JSON, null as an empty string.
 */
export function shellArguments(
  parameters: Record<string, unknown>,
  specs: Record<string, ParameterSpec>,
  kwargOp = '--',
): string[] {
  const positional = Object.values(specs)
    .filter((spec) => spec.position !== undefined)
    .sort((a, b) => a.position! - b.position!);
  const positionalNames = new Set(positional.map((spec) => spec.name));

  const named: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (positionalNames.has(name)) continue;
    if (value === null || value === undefined || value === '' || value === false) continue;
    if (value === true) named.push(`${kwargOp}${name}`);
    else named.push(`${kwargOp}${name}=${serialise(value)}`);
  }
  return [...named, ...positional.map((spec) => serialisePositional(parameters[spec.name], spec.type))];
}

function serialise(value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item))).join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function serialisePositional(value: unknown, type: string | undefined): string {
  if (value === null || value === undefined) return '';
  if (type === 'boolean' || typeof value === 'boolean') return value ? '1' : '0';
  return serialise(value);
}
