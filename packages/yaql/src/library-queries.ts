import { collect, iterate, lazy, materialise } from './collections.ts';
import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionContext, type FunctionDefinition } from './functions.ts';
import { concat } from './operators.ts';
import { hashKey, pyEquals, pythonList, truthy } from './python-values.ts';
import { isIterable, LazySequence, type Lambda } from './values.ts';

/**
 * yaql's query functions over collections. Like yaql's, most return lazy sequences (`where`,
 * `select`, `skip`...), computed when something reads them, so `sequence().take(3)` works; the
 * work each item costs is charged when it is produced.
 */

const collection = parameter('collection', types.iterable);
const lambda = (name: string) => parameter(name, types.lambda);
const optionalLambda = (name: string) => parameter(name, types.lambda, { default: null });
const count = (name = 'count') => parameter(name, types.int);

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
];

/** The first `limit` items, never reading one more (it may fail, or never end). */
function take(items: unknown, limit: number, context: FunctionContext): LazySequence {
  return lazy(function* () {
    if (limit <= 0) return;
    let index = 0;
    for (const item of iterate(items, context.meter)) {
      yield item;
      if (++index >= limit) return;
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

