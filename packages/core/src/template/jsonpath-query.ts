import { dictEntries, isPlainObject, ownValue, type WorkMeter } from '@packrun/jinja';

/**
 * The JSONPath subset StackStorm's `jsonpath_query` filter is used with: `$`, `.name`, `['name']`,
 * `[n]`, `[*]` / `.*`, `[start:end]`, and recursive `..name`. Returns the list of matches, or null
 * when nothing matches (as the filter does). It reads only plain data, and charges every node it
 * visits to the render's meter.
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

function children(value: unknown, meter: WorkMeter): unknown[] {
  const found = Array.isArray(value) ? value : isPlainObject(value) ? dictEntries(value).map(([, child]) => child) : [];
  meter.step(found.length);
  return found;
}

function descendants(value: unknown, meter: WorkMeter, depth = 0): unknown[] {
  meter.checkDataDepth(depth);
  return children(value, meter).flatMap((child) => [child, ...descendants(child, meter, depth + 1)]);
}

function apply(step: Step, value: unknown, meter: WorkMeter): unknown[] {
  meter.step();
  switch (step.kind) {
    case 'child': {
      const found = isPlainObject(value) ? ownValue(value, step.name) : undefined;
      return found === undefined ? [] : [found];
    }
    case 'index': {
      if (!Array.isArray(value)) return [];
      const item = value[step.index < 0 ? value.length + step.index : step.index];
      return item === undefined ? [] : [item];
    }
    case 'slice':
      return Array.isArray(value) ? value.slice(step.start, step.end) : [];
    case 'wildcard':
      return children(value, meter);
    case 'descendants': {
      if (step.name === '*') return descendants(value, meter);
      const nodes = [value, ...descendants(value, meter)];
      return nodes.flatMap((node) => apply({ kind: 'child', name: step.name as string }, node, meter));
    }
  }
}

export function jsonpathQuery(value: unknown, query: string, meter: WorkMeter): unknown[] | null {
  let current: unknown[] = [value];
  for (const step of parse(query)) current = current.flatMap((item) => apply(step, item, meter));
  return current.length === 0 ? null : current;
}
