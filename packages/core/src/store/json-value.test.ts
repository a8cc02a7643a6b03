import { describe, expect, it } from 'vitest';
import { jsonFitsIn, toJsonValue, TooDeepError } from './json-value.ts';

class Point {
  constructor(
    readonly x: number,
    readonly hidden: () => void = () => undefined,
  ) {}
}

describe('toJsonValue', () => {
  it('gives what a JSON round trip gives', () => {
    const samples: unknown[] = [
      { a: 1, b: undefined, c: () => 1, d: Symbol('s'), e: [1, undefined, () => 2, Symbol('t')], f: null },
      { n: Number.NaN, i: Number.POSITIVE_INFINITY, z: -0, big: 1e308 },
      { when: new Date('2026-01-02T03:04:05.678Z'), nested: { toJSON: (key: string) => `key ${key}` } },
      { boxed: [new Number(3), new String('s'), new Boolean(false)] },
      [new Point(4)],
      { map: new Map([[1, 2]]), set: new Set([1]) },
      'text',
      42,
      [[[]], {}],
    ];
    for (const sample of samples) expect(toJsonValue(sample)).toEqual(JSON.parse(JSON.stringify(sample)));
  });

  it('maps every object key, however deep', () => {
    expect(toJsonValue({ 'a.b': { $c: [{ 'd.e': 1 }] } }, { mapKey: (key) => key.toUpperCase() })).toEqual({ 'A.B': { $C: [{ 'D.E': 1 }] } });
  });

  it('maps every string value, and no key', () => {
    expect(toJsonValue({ a: ['x', { b: 'y' }], c: 1 }, { mapString: (text) => `<${text}>` })).toEqual({ a: ['<x>', { b: '<y>' }], c: 1 });
  });

  it('refuses a value nested deeper than allowed as soon as it gets there', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(() => toJsonValue(deep, { maxDepth: 100 })).toThrow(TooDeepError);
    let allowed: unknown = 'leaf';
    for (let level = 0; level < 100; level += 1) allowed = { a: allowed };
    expect(toJsonValue(allowed, { maxDepth: 100 })).toEqual(allowed);
    expect(() => toJsonValue({ a: allowed }, { maxDepth: 100 })).toThrow(TooDeepError);
  });

  it('throws as JSON does on a cycle or a BigInt, but not on a value seen twice', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => toJsonValue(cyclic)).toThrow(TypeError);
    expect(() => toJsonValue({ n: 1n })).toThrow(TypeError);
    const shared = { x: 1 };
    expect(toJsonValue([shared, shared])).toEqual([{ x: 1 }, { x: 1 }]);
  });
});

describe('jsonFitsIn', () => {
  it('tells a small value from a large one without writing its JSON', () => {
    expect(jsonFitsIn({ a: 'x'.repeat(100) }, 200)).toBe(true);
    expect(jsonFitsIn({ a: 'x'.repeat(300) }, 200)).toBe(false);
    expect(jsonFitsIn([{ deep: [['y'.repeat(150)]] }, 'z'.repeat(150)], 200)).toBe(false);
    expect(jsonFitsIn(Array.from({ length: 1000 }, () => 1), 200)).toBe(false);
    expect(jsonFitsIn(null, 10)).toBe(true);
  });
});
