import { iterate, lazy, materialise } from './collections.ts';
import { define, parameter } from './define.ts';
import { dictGet, dictItems, makeDict, type Dict } from './dicts.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionContext, type FunctionDefinition } from './functions.ts';
import { add, compare } from './operators.ts';
import { hashKey, mutableDict, pyEquals, pythonList, truthy } from './python-values.ts';
import { isDict, LazySequence, LazyView, aTypeName, type Lambda } from './values.ts';

/**
 * yaql's queries that take a collection as a whole: totals (`sum`, `max`, `aggregate`), order
 * (`orderBy`, `thenBy`), groups and slices, `zip` and `join`, and `mergeWith` for dicts.
 */

const collection = parameter('collection', types.iterable);
const lambda = (name: string) => parameter(name, types.lambda);
const optionalLambda = (name: string) => parameter(name, types.lambda, { default: null });
const count = (name: string) => parameter(name, types.int);

/** `orderBy` and `thenBy`: sorted when first read, by each key in turn. */
class OrderedSequence extends LazyView {
  constructor(
    readonly source: unknown,
    readonly keys: readonly { selector: Lambda; ascending: boolean }[],
    context: FunctionContext,
  ) {
    super(() => {
      const items = [...materialise(source, context.meter)];
      const comparator = (left: unknown, right: unknown): number => {
        for (const { selector, ascending } of keys) {
          const [a, b] = [selector.call(left), selector.call(right)];
          const order = compare('<', a, b, context.meter) ? -1 : compare('>', a, b, context.meter) ? 1 : 0;
          if (order !== 0) return ascending ? order : -order;
        }
        return 0;
      };
      return items.sort(comparator)[Symbol.iterator]();
    });
  }
}

const orderedType = { name: 'ordered collection (from orderBy)', accepts: (value: unknown) => value instanceof OrderedSequence };

export const aggregationFunctions: FunctionDefinition[] = [
  define('sum', 'method', [collection, parameter('initial', types.any, { optional: true })], ([items, initial], context) =>
    aggregate(items, (total, item) => add(total, item, context.meter), initial, context),
  ),
  define('max', 'method', [collection, parameter('initial', types.any, { optional: true })], ([items, initial], context) =>
    aggregate(items, (best, item) => (compare('>', item, best, context.meter) ? item : best), initial, context),
  ),
  define('min', 'method', [collection, parameter('initial', types.any, { optional: true })], ([items, initial], context) =>
    aggregate(items, (best, item) => (compare('>', item, best, context.meter) ? best : item), initial, context),
  ),
  define('orderBy', 'method', [collection, lambda('selector')], ([items, selector], context) => new OrderedSequence(items, [{ selector: selector as Lambda, ascending: true }], context)),
  define('orderByDescending', 'method', [collection, lambda('selector')], ([items, selector], context) =>
    new OrderedSequence(items, [{ selector: selector as Lambda, ascending: false }], context),
  ),
  define('thenBy', 'method', [parameter('collection', orderedType), lambda('selector')], ([items, selector], context) => thenBy(items, selector, true, context)),
  define('thenByDescending', 'method', [parameter('collection', orderedType), lambda('selector')], ([items, selector], context) => thenBy(items, selector, false, context)),
  define('groupBy', 'method', [collection, lambda('keySelector'), optionalLambda('valueSelector'), optionalLambda('aggregator')], ([items, keySelector, valueSelector, aggregator], context) =>
    groupBy(items, keySelector as Lambda, valueSelector as Lambda | null, aggregator as Lambda | null, context),
  ),
  define('zip', 'method', [collection], (collections, context) => zip(collections, false, null, context), { rest: parameter('collections', types.iterable) }),
  define('zipLongest', 'method', [collection], (collections, context, keywords) => zip(collections, true, keywords['default'] ?? null, context), {
    rest: parameter('collections', types.iterable),
    restKeywords: true,
  }),
  define('join', 'method', [parameter('collection1', types.iterable), parameter('collection2', types.iterable), lambda('predicate'), lambda('selector')], ([left, right, predicate, selector], context) =>
    lazy(function* () {
      const others = materialise(right, context.meter);
      for (const item of iterate(left, context.meter)) {
        for (const other of others) {
          context.meter.step();
          if (truthy((predicate as Lambda).call(item, other))) yield (selector as Lambda).call(item, other);
        }
      }
    }),
  ),
  define('slice', 'method', [collection, count('length')], ([items, length], context) =>
    lazy(function* () {
      const size = Number(length);
      if (size <= 0) throw new YaqlError('value', 'slice() needs a positive length');
      let chunk: unknown[] = [];
      for (const item of iterate(items, context.meter)) {
        chunk.push(item);
        if (chunk.length === size) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    }),
  ),
  define('splitWhere', 'method', [collection, lambda('predicate')], ([items, predicate], context) => {
    const all = materialise(items, context.meter);
    return lazy(() => slices(all, (index) => truthy((predicate as Lambda).call(all[index])), false)[Symbol.iterator]());
  }),
  define('sliceWhere', 'method', [collection, lambda('predicate')], ([items, predicate], context) => {
    const all = materialise(items, context.meter);
    return lazy(() => {
      const marks = all.map((item) => (predicate as Lambda).call(item));
      return slices(all, (index) => index > 0 && !pyEquals(marks[index], marks[index - 1], context.meter), true)[Symbol.iterator]();
    });
  }),
  define('splitAt', 'method', [collection, count('index')], ([items, index], context) => {
    const all = materialise(items, context.meter);
    const at = Number(index);
    return pythonList([all.slice(0, at < 0 ? Math.max(0, all.length + at) : at), all.slice(at < 0 ? Math.max(0, all.length + at) : at)]);
  }),
  ...['aggregate', 'reduce'].map((name) =>
    define(name, 'method', [collection, lambda('selector'), parameter('seed', types.any, { optional: true })], ([items, selector, seed], context) =>
      aggregate(items, (total, item) => (selector as Lambda).call(total, item), seed, context),
    ),
  ),
  define('accumulate', 'method', [collection, lambda('selector'), parameter('seed', types.any, { optional: true })], ([items, selector, seed], context) =>
    lazy(function* () {
      let started = seed !== undefined;
      let total = seed;
      if (started) yield total;
      for (const item of iterate(items, context.meter)) {
        total = started ? (selector as Lambda).call(total, item) : item;
        started = true;
        yield total;
      }
      if (!started) throw new YaqlError('type', 'accumulate() of empty sequence with no initial value');
    }),
  ),
  define('mergeWith', 'method', [parameter('dict', types.dict), parameter('another', types.dict), optionalLambda('listMerger'), optionalLambda('itemMerger'), parameter('maxLevels', types.int, { default: 0 })], ([left, right, listMerger, itemMerger, maxLevels], context) =>
    mergeDicts(left as Dict, right as Dict, listMerger as Lambda | null, itemMerger as Lambda | null, Number(maxLevels), context),
  ),
];

function aggregate(items: unknown, combine: (total: unknown, item: unknown) => unknown, seed: unknown, context: FunctionContext): unknown {
  let total = seed;
  let started = seed !== undefined;
  for (const item of iterate(items, context.meter)) {
    total = started ? combine(total, item) : item;
    started = true;
  }
  if (!started) throw new YaqlError('value', 'reduce() of empty sequence with no initial value');
  return total;
}

function slices(items: readonly unknown[], cut: (index: number) => boolean, keepCut: boolean): unknown[][] {
  const out: unknown[][] = [];
  let start = 0;
  for (let index = 0; index < items.length; index += 1) {
    if (cut(index)) {
      if (keepCut ? index > start : true) out.push(items.slice(start, index));
      start = keepCut ? index : index + 1;
    }
  }
  if (start !== items.length) out.push(items.slice(start));
  return out;
}

function thenBy(items: unknown, selector: unknown, ascending: boolean, context: FunctionContext): OrderedSequence {
  const ordered = items as OrderedSequence;
  return new OrderedSequence(ordered.source, [...ordered.keys, { selector: selector as Lambda, ascending }], context);
}

function zip(collections: unknown[], longest: boolean, fill: unknown, context: FunctionContext): LazySequence {
  return lazy(function* () {
    const iterators = collections.map((items) => iterate(items, context.meter));
    for (;;) {
      const row: unknown[] = [];
      let active = 0;
      for (const iterator of iterators) {
        const next = iterator.next();
        // zip() stops at the first collection to end, reading no further one, as Python's does.
        if (next.done && !longest) return;
        if (next.done) row.push(fill);
        else {
          active += 1;
          row.push(next.value);
        }
      }
      if (active === 0) return;
      yield row;
    }
  });
}

function groupBy(items: unknown, keySelector: Lambda, valueSelector: Lambda | null, aggregator: Lambda | null, context: FunctionContext): LazySequence {
  const groups = new Map<string, { key: unknown; values: unknown[] }>();
  for (const item of iterate(items, context.meter)) {
    const key = keySelector.call(item);
    const hash = hashKey(key, context.meter);
    let group = groups.get(hash);
    if (group === undefined) {
      group = { key, values: pythonList([]) };
      groups.set(hash, group);
      context.meter.checkCollection(groups.size);
    }
    group.values.push(valueSelector === null ? item : valueSelector.call(item));
  }
  const grouped = [...groups.values()];
  return lazy(function* () {
    for (const { key, values } of grouped) {
      if (aggregator === null) {
        yield [key, values];
        continue;
      }
      try {
        yield [key, aggregator.call(values)];
      } catch (error) {
        // yaql 1.x passed the aggregator the whole (key, values) pair; yaql still accepts such aggregators.
        if (!(error instanceof YaqlError) || (error.kind !== 'type' && error.kind !== 'lookup')) throw error;
        const fallback = aggregator.call([key, values]);
        if (!Array.isArray(fallback) || fallback.length !== 2) throw error;
        yield fallback;
      }
    }
  });
}

/** `mergeWith`: keys of both, nested dicts merged level by level, lists by `listMerger` (distinct items of both by default). */
function mergeDicts(left: Dict, right: Dict, listMerger: Lambda | null, itemMerger: Lambda | null, maxLevels: number, context: FunctionContext): unknown {
  const entries: [unknown, unknown][] = [];
  for (const [key, leftValue] of dictItems(left)) {
    const rightValue = dictGet(right, key, context.meter);
    if (rightValue === undefined) {
      entries.push([key, leftValue]);
    } else if (maxLevels !== 1 && isDict(rightValue)) {
      if (!isDict(leftValue)) throw new YaqlError('type', `Cannot merge ${aTypeName(leftValue)} with a dict`);
      entries.push([key, mergeDicts(leftValue, rightValue, listMerger, itemMerger, maxLevels === 0 ? 0 : maxLevels - 1, context)]);
    } else if (maxLevels !== 1 && Array.isArray(rightValue)) {
      if (!Array.isArray(leftValue)) throw new YaqlError('type', `Cannot merge ${aTypeName(leftValue)} with a list`);
      entries.push([key, listMerger === null ? distinctItems([...leftValue, ...rightValue], context) : listMerger.call(leftValue, rightValue)]);
    } else {
      entries.push([key, itemMerger === null ? rightValue : itemMerger.call(leftValue, rightValue)]);
    }
  }
  for (const [key, value] of dictItems(right)) if (dictGet(left, key, context.meter) === undefined) entries.push([key, value]);
  return mutableDict(makeDict(entries, context.meter));
}

function distinctItems(items: readonly unknown[], context: FunctionContext): unknown[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = hashKey(item, context.meter);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
