import { dictEntries, isData, newDict } from './data-access.ts';
import { YaqlError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { isPlainObject, LazySequence, PyFloat, typeName, YaqlSet } from './values.ts';

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
  if (isPlainObject(value)) {
    meter.checkDataDepth(depth);
    return newDict(dictEntries(value).map(([key, item]) => [key, toOutput(item, meter, depth + 1)]));
  }
  if (isData(value)) return value;
  const kind = typeName(value);
  if (kind === 'function' || kind === 'host object') throw new YaqlError('unsafe', `the result holds a ${kind}, which expressions cannot return`);
  throw new YaqlError('type', `the result is a ${kind}, which is not data (use a context with "->", a regex with its methods)`);
}
