/** Names of the action's parameters declared `secret: true` (the specs are stored as written). */
export function secretParameterNames(specs: Record<string, unknown>): string[] {
  return Object.entries(specs)
    .filter(([, spec]) => typeof spec === 'object' && spec !== null && (spec as { secret?: unknown }).secret === true)
    .map(([name]) => name);
}
