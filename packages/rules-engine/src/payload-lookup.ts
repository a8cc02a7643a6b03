/**
 * Looks up a criteria key such as `trigger.body.items[0].name` in `{trigger: payload}`, the way
 * StackStorm's jsonpath lookup does for the paths rule authors write: dotted fields (a field may be
 * quoted, `trigger.headers.'X-Event'`), `[n]` indexes (negative from the end), and `*` / `[*]`
 * wildcards. Every match is collected; the criterion uses the first, and a path that matches
 * nothing yields undefined (Python's None).
 */
type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

class InvalidPathError extends Error {}

export function lookupPath(root: Record<string, unknown>, path: string): unknown {
  const matches = findAll(root, parsePath(path));
  return matches[0];
}

function findAll(root: unknown, steps: Step[]): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.kind === 'field') {
        if (isObject(value) && Object.hasOwn(value, step.name)) next.push(value[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(value)) {
          const index = step.index < 0 ? value.length + step.index : step.index;
          if (index >= 0 && index < value.length) next.push(value[index]);
        }
      } else if (Array.isArray(value)) {
        next.push(...value);
      } else if (isObject(value)) {
        next.push(...Object.values(value));
      }
    }
    current = next;
  }
  return current;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  let index = 0;
  let expectField = true;
  while (index < path.length) {
    const char = path[index]!;
    if (char === '.') {
      if (expectField) throw new InvalidPathError(`empty field in path "${path}"`);
      expectField = true;
      index += 1;
    } else if (char === '[') {
      const end = path.indexOf(']', index);
      if (end < 0) throw new InvalidPathError(`unclosed [ in path "${path}"`);
      const inner = path.slice(index + 1, end).trim();
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else throw new InvalidPathError(`unsupported index [${inner}] in path "${path}"`);
      expectField = false;
      index = end + 1;
    } else if (char === "'" || char === '"') {
      const end = path.indexOf(char, index + 1);
      if (end < 0) throw new InvalidPathError(`unclosed quote in path "${path}"`);
      steps.push({ kind: 'field', name: path.slice(index + 1, end) });
      expectField = false;
      index = end + 1;
    } else {
      const match = /^[^.[\]'"]+/.exec(path.slice(index))!;
      const name = match[0].trim();
      steps.push(name === '*' ? { kind: 'wildcard' } : { kind: 'field', name });
      expectField = false;
      index += match[0].length;
    }
  }
  if (expectField) throw new InvalidPathError(`path "${path}" ends without a field`);
  return steps;
}
