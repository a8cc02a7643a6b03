import type { JinjaEnvironment } from './jinja-environment.ts';
import { pythonPercentFormat } from './python-format.ts';
import { pyJsonDumps, pyRepr, pyStr } from './python-values.ts';
import { splitKeywords } from './st2-filters.ts';

type Filter = (this: unknown, value: unknown, ...args: unknown[]) => unknown;

/** `a.b.c` attribute lookup as Jinja's `attribute=` arguments do it. */
function attribute(item: unknown, path: string): unknown {
  let current = item;
  for (const part of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    current = (current as Record<string, unknown>)[/^\d+$/.test(part) && Array.isArray(current) ? Number(part) : part];
  }
  return current;
}

function items(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [...value];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object') return Object.keys(value as object);
  return [value];
}

/**
 * Jinja2 built-in filters that nunjucks lacks or implements differently, so that templates written
 * for StackStorm behave the same: `string` prints like Python, `list` of a dict gives its keys,
 * `selectattr`/`rejectattr` take a test, plus `map`, `tojson`, `unique`, `min`, `max`, `items`, `attr`,
 * `count`, `format` (Python's `%` formatting) and `pprint`.
 */
export function jinjaFilters(env: JinjaEnvironment): Record<string, Filter> {
  const selectByAttribute = (keep: boolean) =>
    function (value: unknown, ...args: unknown[]): unknown[] {
      const { positional } = splitKeywords(args);
      const [name, testName, ...testArgs] = positional as [string, string | undefined, ...unknown[]];
      const test = testName === undefined ? undefined : env.getTest(testName);
      return items(value).filter((item) => {
        const found = attribute(item, String(name));
        const passed = test ? Boolean(test.call(undefined, found, ...testArgs)) : Boolean(found);
        return passed === keep;
      });
    };

  return {
    string: (value) => pyStr(value),
    list: (value) => [...items(value)],
    tojson: (value, indent) =>
      pyJsonDumps(value, { sortKeys: true, indent: typeof indent === 'number' ? indent : null })
        .replace(/</g, '\\u003c')
        .replace(/>/g, '\\u003e')
        .replace(/&/g, '\\u0026')
        .replace(/'/g, '\\u0027'),
    map(value, ...args) {
      const { positional, keywords } = splitKeywords(args);
      if (typeof keywords['attribute'] === 'string') {
        const path = keywords['attribute'];
        return items(value).map((item) => attribute(item, path) ?? keywords['default']);
      }
      const [filterName, ...filterArgs] = positional;
      const filter = env.getFilter(String(filterName)) as (...a: unknown[]) => unknown;
      return items(value).map((item) => filter.call(this, item, ...filterArgs));
    },
    selectattr: selectByAttribute(true),
    rejectattr: selectByAttribute(false),
    unique: (value) => {
      const seen = new Set<string>();
      return items(value).filter((item) => {
        const key = JSON.stringify(item);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    },
    min: (value) => items(value).reduce<unknown>((a, b) => (a === undefined || (b as number) < (a as number) ? b : a), undefined),
    max: (value) => items(value).reduce<unknown>((a, b) => (a === undefined || (b as number) > (a as number) ? b : a), undefined),
    items: (value) => Object.entries((value ?? {}) as Record<string, unknown>),
    attr: (value, name) => attribute(value, String(name)),
    count: (value) => items(value).length,
    format: (value, ...args) => {
      const { positional, keywords } = splitKeywords(args);
      return pythonPercentFormat(pyStr(value), Object.keys(keywords).length > 0 ? [keywords] : positional);
    },
    pprint: (value) => pyRepr(value),
  };
}
