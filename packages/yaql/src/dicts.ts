import { dictEntries, ownValue } from './data-access.ts';
import type { WorkMeter } from './limits.ts';
import { hashKey } from './python-values.ts';
import { isPlainObject, YaqlDict } from './values.ts';

/**
 * Dicts as yaql sees them, whether the caller's plain objects (string keys) or the engine's
 * YaqlDicts (keys of any hashable kind). A key is found by Python equality: in a YaqlDict `1`,
 * `1.0` and `true` are one key; a plain object has only string keys, so `1` does not find '1'.
 */
export type Dict = Record<string, unknown> | YaqlDict;

export function dictItems(dict: Dict): [unknown, unknown][] {
  if (dict instanceof YaqlDict) return [...dict.entries.values()].map(([key, value]) => [key, value]);
  return dictEntries(dict);
}

export function dictSize(dict: Dict): number {
  return dict instanceof YaqlDict ? dict.entries.size : dictEntries(dict).length;
}

/** The value of `key`, or undefined when the dict has no such key. */
export function dictGet(dict: Dict, key: unknown, meter: WorkMeter): unknown {
  if (dict instanceof YaqlDict) return dict.entries.get(hashKey(key, meter))?.[1];
  return isPlainObject(dict) && typeof key === 'string' ? ownValue(dict, key) : undefined;
}

/** A new dict from key-value pairs; a key given again keeps its place and takes the later value, as in Python. */
export function makeDict(entries: Iterable<readonly [unknown, unknown]>, meter: WorkMeter): YaqlDict {
  const map = new Map<string, readonly [unknown, unknown]>();
  for (const [key, value] of entries) {
    const hash = hashKey(key, meter);
    const existing = map.get(hash);
    map.set(hash, [existing === undefined ? key : existing[0], value]);
    meter.checkCollection(map.size);
  }
  return new YaqlDict(map);
}
