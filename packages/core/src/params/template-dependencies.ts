const blockPattern = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
const stringLiteral = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g;
const topLevelName = /(?<![.\w])([A-Za-z_]\w*)/g;

/**
 * The names among `candidates` that the templates inside `value` use as top-level variables
 * (`{{ host }}`, `{% if port %}`), ignoring attributes (`trigger.host`) and string literals.
 */
export function templateVariables(value: unknown, candidates: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const visit = (item: unknown): void => {
    if (typeof item === 'string') {
      for (const block of item.matchAll(blockPattern)) {
        const code = (block[1] ?? block[2] ?? '').replace(stringLiteral, '""');
        for (const name of code.matchAll(topLevelName)) if (candidates.has(name[1]!)) found.add(name[1]!);
      }
    } else if (Array.isArray(item)) item.forEach(visit);
    else if (typeof item === 'object' && item !== null) Object.values(item).forEach(visit);
  };
  visit(value);
  return found;
}

/**
 * Orders names so each comes after the names it depends on. Returns the order, or the names on a
 * cycle when there is one.
 */
export function dependencyOrder(dependencies: ReadonlyMap<string, ReadonlySet<string>>): { order: string[] } | { cycle: string[] } {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const current = state.get(name);
    if (current === 'done') return undefined;
    if (current === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of [...(dependencies.get(name) ?? [])].sort()) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    order.push(name);
    return undefined;
  };
  for (const name of [...dependencies.keys()].sort()) {
    const cycle = visit(name);
    if (cycle) return { cycle };
  }
  return { order };
}
