/** What a secret value looks like in everything stored or shown. */
export const maskedValue = '********';

export function maskSecrets(parameters: Record<string, unknown>, secretNames: readonly string[]): Record<string, unknown> {
  const masked = { ...parameters };
  for (const name of secretNames) if (name in masked) masked[name] = maskedValue;
  return masked;
}

/** Names of the action's parameters declared `secret: true` (the specs are stored as written). */
export function secretParameterNames(specs: Record<string, unknown>): string[] {
  return Object.entries(specs)
    .filter(([, spec]) => typeof spec === 'object' && spec !== null && (spec as { secret?: unknown }).secret === true)
    .map(([name]) => name);
}
