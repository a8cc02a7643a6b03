import { bindArguments, callArguments, type CallArguments } from './arguments.ts';
import { attributePath, dictEntries, lookup, stringCharacters, stringLength } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { binaryOperation, isTruthy, iterationItems, pyCompare } from './operators.ts';
import { pyRepr, pyStr } from './python-values.ts';
import type { FilterDefinition } from './registry.ts';
import { aTypeName, type CallContext, isPlainObject, isUndefined, tuple } from './template-values.ts';

/** Jinja's built-in filters over lists and dicts, with Jinja's names, arguments and results. */

type CollectionFilter = (value: unknown, bound: Record<string, unknown>, context: CallContext) => unknown;

function filter(name: string, parameters: readonly string[], body: CollectionFilter): [string, FilterDefinition] {
  return [name, { call: (value, args, context) => body(value, bindArguments(name, args, parameters), context) }];
}

/** The items a filter iterates, each charged to the meter. */
function itemsOf(value: unknown, meter: WorkMeter): unknown[] {
  const items = iterationItems(value, meter);
  meter.step(items.length);
  return items;
}

/** Sort and comparison keys: an attribute path (or several, comma-separated), lowered unless case-sensitive. */
function keyFunction(attribute: unknown, caseSensitive: boolean): (item: unknown) => unknown {
  const paths = attribute === undefined || attribute === null ? [] : String(attribute).split(',').map((path) => path.trim());
  const fold = (value: unknown): unknown => (!caseSensitive && typeof value === 'string' ? value.toLowerCase() : value);
  if (paths.length === 0) return fold;
  if (paths.length === 1) return (item) => fold(attributePath(item, paths[0]));
  return (item) => paths.map((path) => fold(attributePath(item, path)));
}

function sorted(items: unknown[], key: (item: unknown) => unknown, reverse: boolean, meter: WorkMeter): unknown[] {
  meter.step(items.length * Math.ceil(Math.log2(items.length + 1)));
  const keyed = items.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => pyCompare(a.key, b.key, '<', meter) * (reverse ? -1 : 1));
  return keyed.map(({ item }) => item);
}

/** A key under which Python would consider two values equal (1, 1.0 and True share one). */
function identity(value: unknown, meter: WorkMeter): string {
  if (typeof value === 'number' || typeof value === 'boolean') return `n${Number(value)}`;
  if (typeof value === 'string') return `s${value}`;
  return `r${pyRepr(value, meter)}`;
}

function extreme(value: unknown, bound: Record<string, unknown>, meter: WorkMeter, sign: 1 | -1): unknown {
  const key = keyFunction(bound['attribute'], bound['case_sensitive'] === true);
  let best: { item: unknown; key: unknown } | undefined;
  for (const item of itemsOf(value, meter)) {
    const itemKey = key(item);
    if (best === undefined || pyCompare(itemKey, best.key, '<', meter) * sign > 0) best = { item, key: itemKey };
  }
  return best?.item;
}

/** `select('odd')`, `selectattr('on')`, `reject...`: keep the items whose test result is `keep`. */
function selectBy(keep: boolean, byAttribute: boolean) {
  return (value: unknown, args: CallArguments, context: CallContext): unknown[] => {
    // As Jinja's select and map: a false value (None, 0, '') gives nothing rather than failing.
    if (!isTruthy(value)) return [];
    const [first, ...rest] = args.positional;
    const attribute = byAttribute ? first : undefined;
    const [testName, ...testArgs] = byAttribute ? rest : args.positional;
    if (byAttribute && attribute === undefined) throw new TemplateError('type', 'selectattr and rejectattr need an attribute name');
    const test = (item: unknown): boolean => {
      const subject = byAttribute ? attributePath(item, attribute) : item;
      if (testName === undefined) return isTruthy(subject);
      return context.applyTest(String(testName), subject, callArguments(testArgs, args.keywords));
    };
    return itemsOf(value, context.meter).filter((item) => test(item) === keep);
  };
}

export const collectionFilters: [string, FilterDefinition][] = [
  ['default', { acceptsUndefined: true, call: (value, args) => defaultValue(value, bindArguments('default', args, ['default_value', 'boolean'])) }],
  ['d', { acceptsUndefined: true, call: (value, args) => defaultValue(value, bindArguments('d', args, ['default_value', 'boolean'])) }],
  filter('attr', ['name'], (value, bound) => lookup(value, pyStr(bound['name']))),
  filter('first', [], (value, _bound, { meter }) => itemsOf(value, meter)[0]),
  filter('last', [], (value, _bound, { meter }) => {
    const items = itemsOf(value, meter);
    return items[items.length - 1];
  }),
  filter('length', [], (value) => lengthOf(value)),
  filter('count', [], (value) => lengthOf(value)),
  filter('list', [], (value, _bound, { meter }) => [...itemsOf(value, meter)]),
  filter('reverse', [], (value, _bound, { meter }) =>
    typeof value === 'string' ? stringCharacters(value).reverse().join('') : [...itemsOf(value, meter)].reverse(),
  ),
  filter('items', [], (value, _bound, { meter }) => {
    if (!isPlainObject(value)) throw new TemplateError('type', `items needs a dict, not ${aTypeName(value)}`);
    const entries = dictEntries(value);
    meter.step(entries.length);
    return entries.map(([key, item]) => tuple([key, item]));
  }),
  filter('join', ['d', 'attribute'], (value, bound, { meter }) => {
    const separator = pyStr(bound['d'] ?? '', meter);
    const texts = itemsOf(value, meter).map((item) => pyStr(bound['attribute'] === undefined ? item : attributePath(item, bound['attribute']), meter));
    meter.checkString(texts.reduce((total, text) => total + text.length, separator.length * Math.max(0, texts.length - 1)));
    return texts.join(separator);
  }),
  [
    'map',
    {
      call: (value, args, context) => {
        if (!isTruthy(value)) return [];
        const items = itemsOf(value, context.meter);
        if ('attribute' in args.keywords) {
          const attribute = args.keywords['attribute'];
          const fallback = args.keywords['default'];
          return items.map((item) => attributePath(item, attribute) ?? fallback);
        }
        const [filterName, ...filterArgs] = args.positional;
        if (typeof filterName !== 'string') throw new TemplateError('type', 'map needs a filter name or attribute=');
        return items.map((item) => context.applyFilter(filterName, item, callArguments(filterArgs, args.keywords)));
      },
    },
  ],
  ['select', { call: selectBy(true, false) }],
  ['reject', { call: selectBy(false, false) }],
  ['selectattr', { call: selectBy(true, true) }],
  ['rejectattr', { call: selectBy(false, true) }],
  filter('sort', ['reverse', 'case_sensitive', 'attribute'], (value, bound, { meter }) =>
    sorted(itemsOf(value, meter), keyFunction(bound['attribute'], bound['case_sensitive'] === true), bound['reverse'] === true, meter),
  ),
  filter('dictsort', ['case_sensitive', 'by', 'reverse'], (value, bound, { meter }) => {
    if (!isPlainObject(value)) throw new TemplateError('type', `dictsort needs a dict, not ${aTypeName(value)}`);
    const position = bound['by'] === 'value' ? 1 : bound['by'] === undefined || bound['by'] === 'key' ? 0 : undefined;
    if (position === undefined) throw new TemplateError('type', 'dictsort: by must be "key" or "value"');
    const fold = keyFunction(undefined, bound['case_sensitive'] === true);
    return sorted(dictEntries(value).map(([key, item]) => tuple([key, item])), (pair) => fold((pair as unknown[])[position]), bound['reverse'] === true, meter);
  }),
  filter('unique', ['case_sensitive', 'attribute'], (value, bound, { meter }) => {
    const key = keyFunction(bound['attribute'], bound['case_sensitive'] === true);
    const seen = new Set<string>();
    return itemsOf(value, meter).filter((item) => {
      const id = identity(key(item), meter);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }),
  filter('min', ['case_sensitive', 'attribute'], (value, bound, { meter }) => extreme(value, bound, meter, -1)),
  filter('max', ['case_sensitive', 'attribute'], (value, bound, { meter }) => extreme(value, bound, meter, 1)),
  filter('sum', ['attribute', 'start'], (value, bound, { meter }) =>
    itemsOf(value, meter).reduce(
      (total, item) => binaryOperation('+', total, bound['attribute'] === undefined ? item : attributePath(item, bound['attribute']), meter),
      bound['start'] ?? 0,
    ),
  ),
  filter('batch', ['linecount', 'fill_with'], (value, bound, { meter }) => {
    const size = typeof bound['linecount'] === 'number' ? Math.trunc(bound['linecount']) : 0;
    if (size < 1) throw new TemplateError('type', 'batch needs a linecount of at least 1');
    const items = itemsOf(value, meter);
    const batches: unknown[][] = [];
    for (let index = 0; index < items.length; index += size) batches.push(items.slice(index, index + size));
    const last = batches[batches.length - 1];
    if (last !== undefined && 'fill_with' in bound && bound['fill_with'] !== null) while (last.length < size) last.push(bound['fill_with']);
    return batches;
  }),
  filter('slice', ['slices', 'fill_with'], (value, bound, { meter }) => {
    const count = typeof bound['slices'] === 'number' ? Math.trunc(bound['slices']) : 0;
    if (count < 1) throw new TemplateError('type', 'slice needs a number of slices of at least 1');
    meter.checkCollection(count);
    const items = itemsOf(value, meter);
    const perSlice = Math.floor(items.length / count);
    const withExtra = items.length % count;
    const slices: unknown[][] = [];
    let offset = 0;
    for (let index = 0; index < count; index += 1) {
      const size = perSlice + (index < withExtra ? 1 : 0);
      const part = items.slice(offset, offset + size);
      offset += size;
      if (bound['fill_with'] !== undefined && bound['fill_with'] !== null && index >= withExtra && withExtra > 0) part.push(bound['fill_with']);
      slices.push(part);
    }
    return slices;
  }),
  filter('groupby', ['attribute', 'default', 'case_sensitive'], (value, bound, { meter }) => {
    const read = (item: unknown): unknown => attributePath(item, bound['attribute']) ?? bound['default'];
    const key = keyFunction(undefined, bound['case_sensitive'] === true);
    const groups: [unknown, unknown[]][] = [];
    for (const item of sorted(itemsOf(value, meter), (item) => key(read(item)), false, meter)) {
      const group = groups[groups.length - 1];
      if (group !== undefined && identity(key(group[0]), meter) === identity(key(read(item)), meter)) group[1].push(item);
      else groups.push(tuple([read(item), [item]]));
    }
    return groups;
  }),
];

function defaultValue(value: unknown, bound: Record<string, unknown>): unknown {
  const fallback = 'default_value' in bound ? bound['default_value'] : '';
  if (isUndefined(value) || (bound['boolean'] === true && !isTruthy(value))) return fallback;
  return value;
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string') return stringLength(value);
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return dictEntries(value).length;
  throw new TemplateError('type', `${aTypeName(value)} has no length`);
}
