import { collect, iterate, lazy, materialise } from './collections.ts';
import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionContext, type FunctionDefinition } from './functions.ts';
import { add, compare, concat } from './operators.ts';
import { dictGet, dictItems, makeDict, type Dict } from './dicts.ts';
import { hashKey, mutableDict, pyEquals, pythonList, truthy } from './python-values.ts';
import { isDict, isIterable, LazySequence, typeName, type Lambda } from './values.ts';

/**
 * yaql's query functions over collections. Like yaql's, most return lazy sequences (`where`,
 * `select`, `skip`...), computed when something reads them, so `sequence().take(3)` works; the
 * work each item costs is charged when it is produced.
 */

const collection = parameter('collection', types.iterable);
const lambda = (name: string) => parameter(name, types.lambda);
const optionalLambda = (name: string) => parameter(name, types.lambda, { default: null });
const count = (name = 'count') => parameter(name, types.int);

/** `orderBy` and `thenBy`: sorted when first read, by each key in turn. */
class OrderedSequence extends LazySequence {
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

function first(items: unknown, context: FunctionContext): { value: unknown } | undefined {
  for (const item of iterate(items, context.meter)) return { value: item };
  return undefined;
}

function negativeCount(name: string): YaqlError {
  return new YaqlError('value', `${name}() needs a count of 0 or more`);
}

function emptyCollection(): YaqlError {
  return new YaqlError('value', 'the collection is empty');
}

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

export const queryFunctions: FunctionDefinition[] = [
  ...['where', 'filter'].map((name) =>
    define(name, 'method', [collection, lambda('predicate')], ([items, predicate], context) =>
      lazy(function* () {
        for (const item of iterate(items, context.meter)) if (truthy((predicate as Lambda).call(item))) yield item;
      }),
    ),
  ),
  ...['select', 'map'].map((name) =>
    define(name, 'method', [collection, lambda('selector')], ([items, selector], context) =>
      lazy(function* () {
        for (const item of iterate(items, context.meter)) yield (selector as Lambda).call(item);
      }),
    ),
  ),
  define('selectMany', 'method', [collection, lambda('selector')], ([items, selector], context) =>
    lazy(function* () {
      for (const item of iterate(items, context.meter)) {
        const inner = (selector as Lambda).call(item);
        if (isIterable(inner)) yield* iterate(inner, context.meter);
        else yield inner;
      }
    }),
  ),
  define('skip', 'method', [collection, count()], ([items, skipped], context) => {
    if (Number(skipped) < 0) throw negativeCount('skip');
    return lazy(function* () {
      let index = 0;
      for (const item of iterate(items, context.meter)) if (index++ >= Number(skipped)) yield item;
    });
  }),
  ...['limit', 'take'].map((name) =>
    define(name, 'method', [collection, count()], ([items, limit], context) => {
      if (Number(limit) < 0) throw negativeCount(name);
      return take(items, Number(limit), context);
    }),
  ),
  define('append', 'extension', [collection], ([items, ...more], context) => concat([items, more], context.meter), { rest: parameter('args', types.any) }),
  define('distinct', 'extension', [collection, optionalLambda('keySelector')], ([items, selector], context) =>
    lazy(function* () {
      const seen = new Set<string>();
      for (const item of iterate(items, context.meter)) {
        const key = hashKey(selector === null ? item : (selector as Lambda).call(item), context.meter);
        if (seen.has(key)) continue;
        seen.add(key);
        context.meter.checkCollection(seen.size);
        yield item;
      }
    }),
  ),
  define('enumerate', 'extension', [collection, parameter('start', types.intOrNull, { default: 0 })], ([items, start], context) =>
    lazy(function* () {
      let index = Number(start ?? 0);
      for (const item of iterate(items, context.meter)) yield pythonList([index++, item]);
    }),
  ),
  define('any', 'extension', [collection, optionalLambda('predicate')], ([items, predicate], context) => {
    for (const item of iterate(items, context.meter)) if (predicate === null || truthy((predicate as Lambda).call(item))) return true;
    return false;
  }),
  define('all', 'extension', [collection, optionalLambda('predicate')], ([items, predicate], context) => {
    for (const item of iterate(items, context.meter)) if (!truthy(predicate === null ? item : (predicate as Lambda).call(item))) return false;
    return true;
  }),
  define('concat', 'extension', [], (args, context) => concat(args, context.meter), { rest: parameter('collections', types.iterable) }),
  define('len', 'extension', [parameter('collection', types.iterator)], ([items], context) => {
    let total = 0;
    for (const _ of iterate(items, context.meter)) total += 1;
    return total;
  }),
  define('count', 'method', [collection], ([items], context) => {
    let total = 0;
    for (const _ of iterate(items, context.meter)) total += 1;
    return total;
  }),
  define('memorize', 'method', [collection], ([items]) => items),
  define('sum', 'method', [collection, parameter('initial', types.any, { optional: true })], ([items, initial], context) =>
    aggregate(items, (total, item) => add(total, item, context.meter), initial, context),
  ),
  define('max', 'method', [collection, parameter('initial', types.any, { optional: true })], ([items, initial], context) =>
    aggregate(items, (best, item) => (compare('>', item, best, context.meter) ? item : best), initial, context),
  ),
  define('min', 'method', [collection, parameter('initial', types.any, { optional: true })], ([items, initial], context) =>
    aggregate(items, (best, item) => (compare('>', item, best, context.meter) ? best : item), initial, context),
  ),
  define('first', 'method', [collection, parameter('default', types.any, { optional: true })], ([items, fallback], context) => {
    const found = first(items, context);
    if (found !== undefined) return found.value;
    if (fallback === undefined) throw emptyCollection();
    return fallback;
  }),
  define('single', 'method', [collection], ([items], context) => {
    const all = collect(iterate(take(items, 2, context), context.meter), context.meter);
    if (all.length === 0) throw emptyCollection();
    if (all.length > 1) throw new YaqlError('value', 'Collection contains more than one item');
    return all[0];
  }),
  define('last', 'method', [collection, parameter('default', types.any, { optional: true })], ([items, fallback], context) => {
    let found: { value: unknown } | undefined;
    if (Array.isArray(items)) found = items.length > 0 ? { value: items[items.length - 1] } : undefined;
    else for (const item of iterate(items, context.meter)) found = { value: item };
    if (found !== undefined) return found.value;
    if (fallback === undefined) throw emptyCollection();
    return fallback;
  }),
  define('range', 'function', [count('stop')], ([stop]) => range(0, Number(stop), 1)),
  define('range', 'function', [count('start'), count('stop'), parameter('step', types.int, { default: 1 })], ([start, stop, step]) =>
    range(Number(start), Number(stop), Number(step)),
  ),
  define('sequence', 'function', [parameter('start', types.int, { default: 0 }), parameter('step', types.int, { default: 1 })], ([start, step]) =>
    lazy(function* () {
      for (let value = Number(start); ; value += Number(step)) yield value;
    }),
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
  define('repeat', 'method', [parameter('value', types.any), parameter('times', types.int, { default: -1 })], ([value, times]) =>
    lazy(function* () {
      for (let index = 0; Number(times) < 0 || index < Number(times); index += 1) yield value;
    }),
  ),
  define('cycle', 'method', [collection], ([items], context) =>
    lazy(function* () {
      const seen: unknown[] = [];
      for (const item of iterate(items, context.meter)) {
        seen.push(item);
        context.meter.checkCollection(seen.length);
        yield item;
      }
      if (seen.length === 0) return;
      for (;;) for (const item of iterate(seen, context.meter)) yield item;
    }),
  ),
  define('takeWhile', 'method', [collection, lambda('predicate')], ([items, predicate], context) =>
    lazy(function* () {
      for (const item of iterate(items, context.meter)) {
        if (!truthy((predicate as Lambda).call(item))) return;
        yield item;
      }
    }),
  ),
  define('skipWhile', 'method', [collection, lambda('predicate')], ([items, predicate], context) =>
    lazy(function* () {
      let skipping = true;
      for (const item of iterate(items, context.meter)) {
        if (skipping && truthy((predicate as Lambda).call(item))) continue;
        skipping = false;
        yield item;
      }
    }),
  ),
  define('indexOf', 'method', [collection, parameter('item', types.any)], ([items, wanted], context) => indexWhere(items, (item) => pyEquals(item, wanted, context.meter), false, context)),
  define('lastIndexOf', 'method', [collection, parameter('item', types.any)], ([items, wanted], context) => indexWhere(items, (item) => pyEquals(item, wanted, context.meter), true, context)),
  define('indexWhere', 'method', [collection, lambda('predicate')], ([items, predicate], context) => indexWhere(items, (item) => truthy((predicate as Lambda).call(item)), false, context)),
  define('lastIndexWhere', 'method', [collection, lambda('predicate')], ([items, predicate], context) => indexWhere(items, (item) => truthy((predicate as Lambda).call(item)), true, context)),
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
  define('reverse', 'method', [collection], ([items], context) => {
    const all = materialise(items, context.meter);
    return lazy(() => [...all].reverse()[Symbol.iterator]());
  }),
  define('isIterable', 'function', [parameter('value', types.any)], ([value]) => isIterable(value)),
  define('defaultIfEmpty', 'method', [collection, parameter('default', types.iterable)], ([items, fallback], context) =>
    first(items, context) === undefined ? fallback : items,
  ),
  define('generate', 'function', [parameter('initial', types.any), lambda('predicate'), lambda('producer'), optionalLambda('selector'), parameter('decycle', types.boolean, { default: false })], ([initial, predicate, producer, selector, decycle], context) =>
    lazy(function* () {
      const seen = new Set<string>();
      for (let value = initial; truthy((predicate as Lambda).call(value)); value = (producer as Lambda).call(value)) {
        context.meter.step();
        if (decycle) {
          const key = hashKey(value, context.meter);
          if (seen.has(key)) return;
          seen.add(key);
          context.meter.checkCollection(seen.size);
        }
        yield selector === null ? value : (selector as Lambda).call(value);
      }
    }),
  ),
  define('generateMany', 'function', [parameter('initial', types.any), lambda('producer'), optionalLambda('selector'), parameter('decycle', types.boolean, { default: false }), parameter('depthFirst', types.boolean, { default: false })], ([initial, producer, selector, decycle, depthFirst], context) =>
    lazy(function* () {
      const seen = new Set<string>();
      const queue: unknown[] = [initial];
      while (queue.length > 0) {
        context.meter.step();
        const item = queue.shift();
        if (decycle) {
          const key = hashKey(item, context.meter);
          if (seen.has(key)) continue;
          seen.add(key);
          context.meter.checkCollection(seen.size);
        }
        yield selector === null ? item : (selector as Lambda).call(item);
        const produced = materialise((producer as Lambda).call(item), context.meter);
        if (depthFirst) queue.unshift(...produced);
        else queue.push(...produced);
        context.meter.checkCollection(queue.length);
      }
    }),
  ),
  define('mergeWith', 'method', [parameter('dict', types.dict), parameter('another', types.dict), optionalLambda('listMerger'), optionalLambda('itemMerger'), parameter('maxLevels', types.int, { default: 0 })], ([left, right, listMerger, itemMerger, maxLevels], context) =>
    mergeDicts(left as Dict, right as Dict, listMerger as Lambda | null, itemMerger as Lambda | null, Number(maxLevels), context),
  ),
];

/** `mergeWith`: keys of both, nested dicts merged level by level, lists by `listMerger` (distinct items of both by default). */
function mergeDicts(left: Dict, right: Dict, listMerger: Lambda | null, itemMerger: Lambda | null, maxLevels: number, context: FunctionContext): unknown {
  const entries: [unknown, unknown][] = [];
  for (const [key, leftValue] of dictItems(left)) {
    const rightValue = dictGet(right, key, context.meter);
    if (rightValue === undefined) {
      entries.push([key, leftValue]);
    } else if (maxLevels !== 1 && isDict(rightValue)) {
      if (!isDict(leftValue)) throw new YaqlError('type', `Cannot merge a ${typeName(leftValue)} with a dict`);
      entries.push([key, mergeDicts(leftValue, rightValue, listMerger, itemMerger, maxLevels === 0 ? 0 : maxLevels - 1, context)]);
    } else if (maxLevels !== 1 && Array.isArray(rightValue)) {
      if (!Array.isArray(leftValue)) throw new YaqlError('type', `Cannot merge a ${typeName(leftValue)} with a list`);
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

function thenBy(items: unknown, selector: unknown, ascending: boolean, context: FunctionContext): OrderedSequence {
  const ordered = items as OrderedSequence;
  return new OrderedSequence(ordered.source, [...ordered.keys, { selector: selector as Lambda, ascending }], context);
}

function take(items: unknown, limit: number, context: FunctionContext): LazySequence {
  return lazy(function* () {
    let index = 0;
    for (const item of iterate(items, context.meter)) {
      if (index++ >= limit) return;
      yield item;
    }
  });
}

function range(start: number, stop: number, step: number): LazySequence {
  if (step === 0) throw new YaqlError('value', 'range() arg 3 must not be zero');
  return lazy(function* () {
    for (let value = start; step > 0 ? value < stop : value > stop; value += step) yield value;
  });
}

function indexWhere(items: unknown, matches: (item: unknown) => boolean, last: boolean, context: FunctionContext): number {
  let found = -1;
  let index = 0;
  for (const item of iterate(items, context.meter)) {
    if (matches(item)) {
      if (!last) return index;
      found = index;
    }
    index += 1;
  }
  return found;
}

function zip(collections: unknown[], longest: boolean, fill: unknown, context: FunctionContext): LazySequence {
  return lazy(function* () {
    const iterators = collections.map((items) => iterate(items, context.meter));
    for (;;) {
      const row: unknown[] = [];
      let active = 0;
      for (const iterator of iterators) {
        const next = iterator.next();
        if (next.done) row.push(fill);
        else {
          active += 1;
          row.push(next.value);
        }
      }
      if (longest ? active === 0 : active < iterators.length) return;
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
