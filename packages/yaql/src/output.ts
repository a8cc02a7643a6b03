import { isData, plainObject } from './data-access.ts';
import { dictItems } from './dicts.ts';
import { YaqlError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { floatRepr } from './python-values.ts';
import { isDict, LazySequence, PyFloat, aTypeName, typeName, YaqlSet } from './values.ts';

/**
 * Turns an expression's value into what the caller receives: plain JSON-like data, copied, so the
 * engine's own values (lazy sequences, sets, whole floats) never leave it and nothing in the
 * result is shared with the caller's input. yaql does the same at the end of an evaluation (lists
 * for tuples and iterators); sets become lists too, in their insertion order, where yaql returns
 * a Python set. A value that is not data (a context from `let`, a regex) is an error.
 */
export function toOutput(value: unknown, meter: WorkMeter, depth = 0): unknown {
  meter.step();
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value) || value instanceof LazySequence || value instanceof YaqlSet) {
    meter.checkDataDepth(depth);
    const items: unknown[] = [];
    const source: Iterable<unknown> = value instanceof YaqlSet ? value.items : value;
    for (const item of source) {
      items.push(toOutput(item, meter, depth + 1));
      meter.checkCollection(items.length);
    }
    return items;
  }
  if (isDict(value)) {
    meter.checkDataDepth(depth);
    return plainObject(dictItems(value).map(([key, item]) => [keyText(key), toOutput(item, meter, depth + 1)]));
  }
  if (isData(value)) return value;
  const kind = typeName(value);
  if (kind === 'function' || kind === 'host object') throw new YaqlError('unsafe', `the result holds a ${kind}, which expressions cannot return`);
  throw new YaqlError('type', `the result is a ${kind}, which is not data (use a context with "->", a regex with its methods)`);
}

/**
 * A dict key as the text it becomes in the returned object: what JSON storage of the result
 * (json.dumps, as StackStorm stores it) would make of it. A list or dict key cannot be stored.
 */
function keyText(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return Number.isInteger(key) ? String(key) : jsonFloat(key);
  if (key instanceof PyFloat) return jsonFloat(key.value);
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (key === null) return 'null';
  throw new YaqlError('type', `the result has a dict with ${aTypeName(key)} key, which cannot be returned: keys must be strings, numbers, booleans or null`);
}

function jsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return floatRepr(value);
}
