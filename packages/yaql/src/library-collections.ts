import { collect, iterate, lazy, makeSet, materialise, setHas } from './collections.ts';
import { dictGet, dictItems, dictSize, makeDict, type Dict } from './dicts.ts';
import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionContext, type FunctionDefinition } from './functions.ts';
import { contains } from './operators.ts';
import { hashKey, isPythonList, mutableDict, pyEquals, pythonList } from './python-values.ts';
import { codePoints } from './text.ts';
import { isIterable, LazySequence, LazyView, MappingRule, YaqlSet, type Lambda } from './values.ts';

/** yaql's functions on lists, dicts and sets. */

const collection = parameter('collection', types.iterable);
const dict = parameter('dict', types.dict);
const int = (name: string) => parameter(name, types.int);

/** The items of `list()` and `set()` arguments: iterators are spread, everything else kept (as yaql does). */
function spread(args: unknown[], context: FunctionContext): unknown[] {
  const out: unknown[] = [];
  for (const arg of args) {
    if (arg instanceof LazySequence && !(arg instanceof LazyView)) for (const item of iterate(arg, context.meter)) out.push(item);
    else out.push(arg);
    context.meter.checkCollection(out.length);
  }
  return out;
}

function* flatten(items: unknown, context: FunctionContext): Generator<unknown> {
  for (const item of iterate(items, context.meter)) {
    if (isIterable(item)) yield* flatten(item, context);
    else yield item;
  }
}

function dictFromPairs(items: unknown, context: FunctionContext): unknown {
  const entries: [unknown, unknown][] = [];
  for (const pair of iterate(items, context.meter)) {
    const parts = typeof pair === 'string' ? codePoints(pair) : isIterable(pair) ? collect(take2(pair, context), context.meter) : [];
    if (parts.length < 2) throw new YaqlError('value', 'dict() needs pairs of key and value');
    entries.push([parts[0], parts[1]]);
  }
  return makeDict(entries, context.meter);
}

function* take2(items: unknown, context: FunctionContext): Generator<unknown> {
  let count = 0;
  for (const item of iterate(items, context.meter)) {
    yield item;
    if (++count === 2) return;
  }
}

function withEntries(base: unknown, entries: [unknown, unknown][], context: FunctionContext): unknown {
  return makeDict([...dictItems(base as Dict), ...entries], context.meter);
}

/** Positions `position` to `position + count` (all from `position` when count is negative). */
function inRange(index: number, position: number, count: number): boolean {
  return count >= 0 ? position <= index && index < position + count : index >= position;
}

const nonSetIterable = { name: 'collection that is not a set', accepts: (value: unknown) => isIterable(value) && !(value instanceof YaqlSet) };

export const collectionFunctions: FunctionDefinition[] = [
  define('list', 'function', [], (args, context) => spread(args, context), { rest: parameter('args', types.any) }),
  define('toList', 'method', [collection], ([items], context) => (Array.isArray(items) && !isPythonList(items) ? items : [...materialise(items, context.meter)])),
  define('flatten', 'method', [collection], ([items], context) => lazy(() => flatten(items, context))),
  define('dict', 'function', [], (rules, context) => makeDict((rules as MappingRule[]).map((rule) => [rule.key, rule.value]), context.meter), {
    rest: parameter('args', types.mappingRule),
    noKeywords: true,
  }),
  define('dict', 'function', [parameter('items', types.iterable)], ([items], context) => dictFromPairs(items, context), { noKeywords: true }),
  define('toDict', 'method', [collection, parameter('keySelector', types.lambda), parameter('valueSelector', types.lambda, { default: null })], ([items, keySelector, valueSelector], context) => {
    const entries: [unknown, unknown][] = [];
    for (const item of iterate(items, context.meter)) {
      entries.push([(keySelector as Lambda).call(item), valueSelector === null ? item : (valueSelector as Lambda).call(item)]);
    }
    return mutableDict(makeDict(entries, context.meter));
  }),
  define('get', 'method', [dict, parameter('key', types.any), parameter('default', types.any, { default: null })], ([object, key, fallback], context) => {
    const found = dictGet(object as Dict, key, context.meter);
    return found === undefined ? fallback : found;
  }),
  define('set', 'method', [dict, parameter('replacements', types.dict)], ([object, replacements], context) =>
    withEntries(object, dictItems(replacements as Dict), context), { noKeywords: true },
  ),
  define('set', 'method', [dict], ([object, ...rules], context) =>
    withEntries(object, (rules as MappingRule[]).map((rule) => [rule.key, rule.value]), context), {
    rest: parameter('args', types.mappingRule),
    noKeywords: true,
  }),
  define('set', 'method', [dict, parameter('key', types.any), parameter('value', types.any)], ([object, key, value], context) =>
    withEntries(object, [[key, value]], context), { noKeywords: true },
  ),
  define('set', 'function', [], (args, context) => makeSet(spread(args, context), context.meter), { rest: parameter('args', types.any) }),
  define('keys', 'method', [dict], ([object], context) => makeSet(dictItems(object as Dict).map(([key]) => key), context.meter)),
  define('values', 'method', [dict], ([object]) => {
    const values = dictItems(object as Dict).map(([, value]) => value);
    return new LazyView(() => values[Symbol.iterator](), values.length);
  }),
  define('items', 'method', [dict], ([object], context) => makeSet(dictItems(object as Dict), context.meter)),
  define('contains', 'method', [collection, parameter('value', types.any)], ([items, value], context) => contains(value, items, context.meter)),
  define('containsKey', 'method', [dict, parameter('key', types.any)], ([object, key], context) => dictGet(object as Dict, key, context.meter) !== undefined),
  define('containsValue', 'method', [dict, parameter('value', types.any)], ([object, value], context) =>
    dictItems(object as Dict).some(([, item]) => pyEquals(item, value, context.meter)),
  ),
  define('isDict', 'function', [parameter('arg', types.any)], ([value]) => types.dict.accepts(value)),
  define('isList', 'function', [parameter('arg', types.any)], ([value]) => Array.isArray(value)),
  define('isSet', 'function', [parameter('arg', types.any)], ([value]) => value instanceof YaqlSet),
  define('len', 'extension', [dict], ([object]) => dictSize(object as Dict)),
  define('len', 'extension', [parameter('sequence', types.sequence)], ([items]) => (items as unknown[]).length),
  define('len', 'extension', [parameter('set', types.set)], ([set]) => (set as YaqlSet).items.length),
  define('delete', 'method', [dict], ([object, ...keys], context) => deleteKeys(object as Dict, keys, context), { rest: parameter('keys', types.any) }),
  define('delete', 'method', [collection, int('position'), parameter('count', types.int, { default: 1 })], ([items, position, count], context) =>
    lazy(function* () {
      let index = 0;
      for (const item of iterate(items, context.meter)) if (!inRange(index++, Number(position), Number(count))) yield item;
    }),
  ),
  define('deleteAll', 'method', [dict, parameter('keys', types.iterable)], ([object, keys], context) => deleteKeys(object as Dict, [...iterate(keys, context.meter)], context)),
  define('insert', 'method', [parameter('collection', types.sequence), int('position'), parameter('value', types.any)], ([items, position, value], context) => {
    const copy = pythonList([...(items as unknown[])]);
    const size = copy.length;
    const at = Number(position) < 0 ? Math.max(0, size + Number(position)) : Math.min(Number(position), size);
    copy.splice(at, 0, value);
    context.meter.checkCollection(copy.length);
    return copy;
  }),
  define('insert', 'method', [parameter('collection', nonSetIterable), int('position'), parameter('value', types.any)], ([items, position, value], context) =>
    insertAt(items, Number(position), [value], context),
  ),
  define('insertMany', 'method', [collection, int('position'), parameter('values', types.iterable)], ([items, position, values], context) =>
    insertAt(items, Number(position), [...iterate(values, context.meter)], context, true),
  ),
  define('replace', 'method', [collection, int('position'), parameter('value', types.any), parameter('count', types.int, { default: 1 })], ([items, position, value, count], context) =>
    replaceRange(items, Number(position), [value], Number(count), context),
  ),
  define('replaceMany', 'method', [collection, int('position'), parameter('values', types.iterable), parameter('count', types.int, { default: 1 })], ([items, position, values, count], context) =>
    replaceRange(items, Number(position), [...iterate(values, context.meter)], Number(count), context),
  ),
  define('toSet', 'method', [collection], ([items], context) => makeSet(iterate(items, context.meter), context.meter)),
  define('union', 'method', [parameter('left', types.set), parameter('right', types.set)], ([left, right], context) => makeSet([...(left as YaqlSet).items, ...(right as YaqlSet).items], context.meter)),
  define('intersect', 'method', [parameter('left', types.set), parameter('right', types.set)], ([left, right], context) =>
    makeSet((left as YaqlSet).items.filter((item) => setHas(right as YaqlSet, item, context.meter)), context.meter),
  ),
  define('difference', 'method', [parameter('left', types.set), parameter('right', types.set)], ([left, right], context) =>
    makeSet((left as YaqlSet).items.filter((item) => !setHas(right as YaqlSet, item, context.meter)), context.meter),
  ),
  define('symmetricDifference', 'method', [parameter('left', types.set), parameter('right', types.set)], ([left, right], context) => {
    const [a, b] = [left as YaqlSet, right as YaqlSet];
    return makeSet([...a.items.filter((item) => !setHas(b, item, context.meter)), ...b.items.filter((item) => !setHas(a, item, context.meter))], context.meter);
  }),
  define('add', 'method', [parameter('set', types.set)], ([set, ...values], context) => makeSet([...(set as YaqlSet).items, ...values], context.meter), {
    rest: parameter('values', types.any),
  }),
  define('remove', 'method', [parameter('set', types.set)], ([set, ...values], context) => {
    const removed = new Set(values.map((value) => hashKey(value, context.meter)));
    return makeSet((set as YaqlSet).items.filter((item) => !removed.has(hashKey(item, context.meter))), context.meter);
  }, { rest: parameter('values', types.any) }),
];

/** A copy without `keys` (a Python dict, as yaql's `delete` returns). */
function deleteKeys(object: Dict, keys: unknown[], context: FunctionContext): unknown {
  const removed = new Set(keys.map((key) => hashKey(key, context.meter)));
  return mutableDict(makeDict(dictItems(object).filter(([key]) => !removed.has(hashKey(key, context.meter))), context.meter));
}

function insertAt(items: unknown, position: number, values: unknown[], context: FunctionContext, negativeFirst = false): LazySequence {
  return lazy(function* () {
    if (negativeFirst && position < 0) yield* values;
    let index = -1;
    for (const item of iterate(items, context.meter)) {
      index += 1;
      if (index === position) yield* values;
      yield item;
    }
    if (position > index) yield* values;
  });
}

function replaceRange(items: unknown, position: number, values: unknown[], count: number, context: FunctionContext): LazySequence {
  return lazy(function* () {
    let index = 0;
    let replaced = false;
    for (const item of iterate(items, context.meter)) {
      if (inRange(index++, position, count)) {
        if (!replaced) {
          replaced = true;
          yield* values;
        }
      } else yield item;
    }
  });
}
