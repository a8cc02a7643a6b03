import { YaqlError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { hashKey } from './python-values.ts';
import { isIterable, LazySequence, aTypeName, YaqlSet } from './values.ts';

/**
 * Walking and building yaql's collections: tuples (arrays), sets and lazy sequences. Every item
 * walked is a step, and every collection built is checked against maxCollectionLength, so an
 * infinite `sequence()` or a huge product runs out of budget instead of memory.
 */

/** The items of an iterable, one step each. */
export function* iterate(collection: unknown, meter: WorkMeter): Generator<unknown> {
  if (Array.isArray(collection)) {
    for (const item of collection) {
      meter.step();
      yield item ?? null;
    }
    return;
  }
  const source: Iterable<unknown> = collection instanceof YaqlSet ? collection.items : (collection as LazySequence);
  for (const item of source) {
    meter.step();
    yield item;
  }
}

/** The items of an iterable as an array (the array itself when it is one). */
export function materialise(collection: unknown, meter: WorkMeter): readonly unknown[] {
  if (Array.isArray(collection)) return collection;
  if (!isIterable(collection)) throw new YaqlError('type', `${aTypeName(collection)} is not a collection`);
  const items: unknown[] = [];
  for (const item of iterate(collection, meter)) {
    items.push(item);
    meter.checkCollection(items.length);
  }
  return items;
}

/** A new array from items, checked against the collection limit as it grows. */
export function collect(items: Iterable<unknown>, meter: WorkMeter): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    out.push(item);
    meter.checkCollection(out.length);
  }
  return out;
}

/** A lazy sequence from a generator function, as yaql's iterator-returning functions give. */
export function lazy(produce: () => Iterator<unknown>): LazySequence {
  return new LazySequence(produce);
}

export function makeSet(items: Iterable<unknown>, meter: WorkMeter): YaqlSet {
  const kept: unknown[] = [];
  const keys = new Set<string>();
  for (const item of items) {
    const key = hashKey(item, meter);
    if (keys.has(key)) continue;
    keys.add(key);
    kept.push(item);
    meter.checkCollection(kept.length);
  }
  return new YaqlSet(kept, keys);
}

/** Python's membership test: `value in collection` by equality (hash for sets). */
export function setHas(set: YaqlSet, value: unknown, meter: WorkMeter): boolean {
  return set.keys.has(hashKey(value, meter));
}
