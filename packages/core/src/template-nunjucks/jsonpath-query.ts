/**
 * The JSONPath subset StackStorm's `jsonpath_query` filter is used with: `$`, `.name`, `['name']`,
 * `[n]`, `[*]` / `.*`, `[start:end]`, and recursive `..name`. Returns the list of matches, or null
 * when nothing matches (as the filter does).
 */
type Step =
  | { kind: 'child'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number }
  | { kind: 'wildcard' }
  | { kind: 'descendants'; name: string | '*' };

const stepPattern = /^(?:\.\.(\*|[A-Za-z_$][\w$-]*)|\.(\*|[A-Za-z_$][\w$-]*)|\[\s*(?:(\*)|(-?\d+)|(-?\d*)\s*:\s*(-?\d*)|'([^']*)'|"([^"]*)")\s*\])/;

function parse(query: string): Step[] {
  let rest = query.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const steps: Step[] = [];
  while (rest !== '') {
    const match = stepPattern.exec(rest);
    if (!match) throw new Error(`jsonpath_query: cannot parse "${rest}" in "${query}"`);
    const [, descendant, child, star, index, sliceStart, sliceEnd, quoted, doubleQuoted] = match;
    if (descendant !== undefined) steps.push({ kind: 'descendants', name: descendant });
    else if (child === '*' || star !== undefined) steps.push({ kind: 'wildcard' });
    else if (child !== undefined) steps.push({ kind: 'child', name: child });
    else if (index !== undefined) steps.push({ kind: 'index', index: Number(index) });
    else if (sliceStart !== undefined || sliceEnd !== undefined) {
      const slice: Step = { kind: 'slice' };
      if (sliceStart) slice.start = Number(sliceStart);
      if (sliceEnd) slice.end = Number(sliceEnd);
      steps.push(slice);
    } else steps.push({ kind: 'child', name: quoted ?? doubleQuoted ?? '' });
    rest = rest.slice(match[0].length);
  }
  return steps;
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null) return Object.values(value);
  return [];
}

function descendants(value: unknown): unknown[] {
  return children(value).flatMap((child) => [child, ...descendants(child)]);
}

function apply(step: Step, value: unknown): unknown[] {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  switch (step.kind) {
    case 'child':
      return isObject && step.name in (value as object) ? [(value as Record<string, unknown>)[step.name]] : [];
    case 'index': {
      if (!Array.isArray(value)) return [];
      const item = value[step.index < 0 ? value.length + step.index : step.index];
      return item === undefined ? [] : [item];
    }
    case 'slice':
      return Array.isArray(value) ? value.slice(step.start, step.end) : [];
    case 'wildcard':
      return children(value);
    case 'descendants': {
      const nodes = [value, ...descendants(value)];
      if (step.name === '*') return descendants(value);
      return nodes.flatMap((node) => apply({ kind: 'child', name: step.name as string }, node));
    }
  }
}

export function jsonpathQuery(value: unknown, query: unknown): unknown[] | null {
  let current: unknown[] = [value];
  for (const step of parse(String(query))) current = current.flatMap((item) => apply(step, item));
  return current.length === 0 ? null : current;
}
