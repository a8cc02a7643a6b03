import { describe, expect, it } from 'vitest';
import { defineKey, dictEntries, isJsonLikeOr, ownValue } from './data-access.ts';
import { callTraps, hostObjects } from './testing.ts';

describe('plain data access', () => {
  it('reads own enumerable data properties only: no getter, nothing inherited, nothing hidden', () => {
    let called = 0;
    const object = Object.defineProperty({ name: 'x', gone: undefined }, 'hidden', { value: 1, enumerable: false });
    Object.defineProperty(object, 'secret', {
      get() {
        called += 1;
        return 'leak';
      },
      enumerable: true,
    });
    expect(ownValue(object, 'name')).toBe('x');
    for (const key of ['hidden', 'secret', 'constructor', '__proto__', 'toString']) expect(ownValue(object, key)).toBeUndefined();
    expect(dictEntries(object)).toEqual([['name', 'x']]);
    expect(called).toBe(0);
  });

  it('defines a __proto__ key as a key, leaving the prototype alone', () => {
    const object: Record<string, unknown> = {};
    defineKey(object, '__proto__', { polluted: 1 });
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(dictEntries(object)).toEqual([['__proto__', { polluted: 1 }]]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('admits JSON-like data and what the engine says is its own, nothing else', () => {
    class EngineValue {}
    const isEngineValue = (value: object): boolean => value instanceof EngineValue;
    const data = ['s', 1, true, null, [1], { a: 1 }, Object.create(null) as object, new EngineValue()];
    expect(data.filter((value) => isJsonLikeOr(value, isEngineValue))).toEqual(data);
    const { withGetter, fn, calls } = callTraps();
    const refused = [undefined, 1n, Symbol('s'), fn, ...hostObjects().map(([, value]) => value)];
    expect(refused.filter((value) => isJsonLikeOr(value, isEngineValue))).toEqual([]);
    expect(isJsonLikeOr(withGetter, isEngineValue)).toBe(true);
    expect(calls()).toBe(0);
  });
});
