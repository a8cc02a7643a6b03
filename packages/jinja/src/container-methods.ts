import { bindArguments, type CallArguments } from './arguments.ts';
import { defineKey, dictEntries, dictKey, ownValue } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { pyCompare, pyEquals } from './operators.ts';
import { aTypeName, isPlainObject, tuple } from './template-values.ts';

/**
 * The Python dict and list methods templates may call. Reading methods (`d.items()`, `d.get(k)`,
 * `l.index(x)`) return new values. Changing methods (`d.update()`, `l.append()`...) work only on a
 * dict or list the template created itself in this render ({} / [] literals, `dict()`, `.copy()`):
 * data handed to the template is never changed, and keys are defined, never assigned, so
 * `update({'__proto__': ...})` adds a key named `__proto__` and touches no prototype.
 */
export interface MethodContext {
  meter: WorkMeter;
  /** Dicts and lists this render created, which its changing methods may change. */
  owned: WeakSet<object>;
}

type DictMethod = (dict: Record<string, unknown>, args: CallArguments, context: MethodContext) => unknown;
type ListMethod = (list: unknown[], args: CallArguments, context: MethodContext) => unknown;

function requireOwned(container: object, method: string, context: MethodContext): void {
  if (!context.owned.has(container)) {
    throw new TemplateError('type', `${method} would change data given to the template, which templates cannot do; build a new value instead`);
  }
}

export function newDict(context: MethodContext): Record<string, unknown> {
  const dict: Record<string, unknown> = {};
  context.owned.add(dict);
  return dict;
}

export function newList(items: unknown[], context: MethodContext): unknown[] {
  context.owned.add(items);
  return items;
}

function setKey(dict: Record<string, unknown>, key: string, value: unknown, context: MethodContext): void {
  if (ownValue(dict, key) === undefined) context.meter.checkCollection(Object.keys(dict).length + 1);
  defineKey(dict, key, value);
}

export const dictMethods: ReadonlyMap<string, DictMethod> = new Map<string, DictMethod>([
  ['keys', (dict, _args, { meter }) => chargeAll(meter, dictEntries(dict).map(([key]) => key))],
  ['values', (dict, _args, { meter }) => chargeAll(meter, dictEntries(dict).map(([, value]) => value))],
  ['items', (dict, _args, { meter }) => chargeAll(meter, dictEntries(dict).map(([key, value]) => tuple([key, value])))],
  ['get', (dict, args) => {
    const bound = bindArguments('dict.get', args, ['key', 'default']);
    const found = ownValue(dict, dictKey(bound['key']));
    return found === undefined ? (bound['default'] ?? null) : found;
  }],
  ['copy', (dict, _args, context) => {
    const copy = newDict(context);
    for (const [key, value] of chargeAll(context.meter, dictEntries(dict))) defineKey(copy, key, value);
    return copy;
  }],
  ['update', (dict, args, context) => {
    requireOwned(dict, 'dict.update', context);
    const [other, ...more] = args.positional;
    if (more.length > 0) throw new TemplateError('type', `dict.update takes at most 1 positional argument, got ${args.positional.length}`);
    if (other !== undefined && other !== null) {
      for (const [key, value] of pairsOf(other, context.meter)) setKey(dict, key, value, context);
    }
    for (const [key, value] of Object.entries(args.keywords)) setKey(dict, key, value, context);
    return null;
  }],
  ['setdefault', (dict, args, context) => {
    const bound = bindArguments('dict.setdefault', args, ['key', 'default']);
    const key = dictKey(bound['key']);
    const found = ownValue(dict, key);
    if (found !== undefined) return found;
    requireOwned(dict, 'dict.setdefault', context);
    const value = bound['default'] ?? null;
    setKey(dict, key, value, context);
    return value;
  }],
  ['pop', (dict, args, context) => {
    requireOwned(dict, 'dict.pop', context);
    const bound = bindArguments('dict.pop', args, ['key', 'default']);
    const key = dictKey(bound['key']);
    const found = ownValue(dict, key);
    if (found === undefined) {
      if ('default' in bound) return bound['default'];
      throw new TemplateError('type', `dict.pop: no key ${JSON.stringify(key)}`);
    }
    delete dict[key];
    return found;
  }],
]);

/** The key-value pairs of a dict, or of a list of pairs, as dict() and update() take them. */
export function pairsOf(source: unknown, meter: WorkMeter): [string, unknown][] {
  if (isPlainObject(source)) return chargeAll(meter, dictEntries(source));
  if (Array.isArray(source)) {
    meter.step(source.length);
    return source.map((pair, index) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TemplateError('type', `item ${index} of the sequence is not a (key, value) pair`);
      return [dictKey(pair[0]), pair[1]];
    });
  }
  throw new TemplateError('type', `${aTypeName(source)} is not a dict or a list of pairs`);
}

function chargeAll<T>(meter: WorkMeter, items: T[]): T[] {
  meter.step(items.length);
  return items;
}

function indexOf(list: unknown[], value: unknown, meter: WorkMeter): number {
  return list.findIndex((item) => pyEquals(item, value, meter));
}

export const listMethods: ReadonlyMap<string, ListMethod> = new Map<string, ListMethod>([
  ['index', (list, args, { meter }) => {
    const found = indexOf(list, bindArguments('list.index', args, ['value'])['value'], meter);
    if (found === -1) throw new TemplateError('type', 'list.index: the value is not in the list');
    return found;
  }],
  ['count', (list, args, { meter }) => {
    const value = bindArguments('list.count', args, ['value'])['value'];
    return list.filter((item) => pyEquals(item, value, meter)).length;
  }],
  ['copy', (list, _args, context) => newList(chargeAll(context.meter, [...list]), context)],
  ['append', (list, args, context) => {
    requireOwned(list, 'list.append', context);
    context.meter.checkCollection(list.length + 1);
    list.push(bindArguments('list.append', args, ['value'])['value']);
    return null;
  }],
  ['extend', (list, args, context) => {
    requireOwned(list, 'list.extend', context);
    const more = bindArguments('list.extend', args, ['iterable'])['iterable'];
    if (!Array.isArray(more)) throw new TemplateError('type', `list.extend needs a list, not ${aTypeName(more)}`);
    context.meter.checkCollection(list.length + more.length);
    context.meter.step(more.length);
    list.push(...more);
    return null;
  }],
  ['insert', (list, args, context) => {
    requireOwned(list, 'list.insert', context);
    const bound = bindArguments('list.insert', args, ['index', 'value']);
    const index = typeof bound['index'] === 'number' ? Math.trunc(bound['index']) : 0;
    context.meter.checkCollection(list.length + 1);
    list.splice(index < 0 ? Math.max(0, list.length + index) : index, 0, bound['value']);
    return null;
  }],
  ['pop', (list, args, context) => {
    requireOwned(list, 'list.pop', context);
    const position = bindArguments('list.pop', args, ['index'])['index'];
    const index = typeof position === 'number' ? (position < 0 ? list.length + position : position) : list.length - 1;
    if (list.length === 0 || index < 0 || index >= list.length) throw new TemplateError('type', 'list.pop: index out of range');
    return list.splice(index, 1)[0];
  }],
  ['remove', (list, args, context) => {
    requireOwned(list, 'list.remove', context);
    const found = indexOf(list, bindArguments('list.remove', args, ['value'])['value'], context.meter);
    if (found === -1) throw new TemplateError('type', 'list.remove: the value is not in the list');
    list.splice(found, 1);
    return null;
  }],
  ['reverse', (list, _args, context) => {
    requireOwned(list, 'list.reverse', context);
    list.reverse();
    return null;
  }],
  ['sort', (list, args, context) => {
    requireOwned(list, 'list.sort', context);
    const reverse = bindArguments('list.sort', args, ['reverse'])['reverse'] === true;
    context.meter.step(list.length * Math.ceil(Math.log2(list.length + 1)));
    list.sort((a, b) => pyCompare(a, b, '<', context.meter) * (reverse ? -1 : 1));
    return null;
  }],
]);
