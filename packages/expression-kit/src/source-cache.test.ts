import { describe, expect, it } from 'vitest';
import { SourceCache } from './source-cache.ts';

describe('SourceCache', () => {
  it('drops the oldest entries beyond its count', () => {
    const cache = new SourceCache<number>(2, 1000);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('drops the oldest entries beyond its characters, and keeps no source longer than them all', () => {
    const cache = new SourceCache<number>(100, 10);
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    cache.set('cccc', 3);
    expect([cache.get('aaaa'), cache.get('bbbb'), cache.get('cccc')]).toEqual([undefined, 2, 3]);
    cache.set('x'.repeat(11), 4);
    expect(cache.get('x'.repeat(11))).toBeUndefined();
    expect(cache.get('cccc')).toBe(3);
  });

  it('keeps nothing when its count is zero, and nothing after clear', () => {
    const none = new SourceCache<number>(0, 10);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    const cache = new SourceCache<number>(2, 10);
    cache.set('a', 1);
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    cache.set('0123456789', 2);
    expect(cache.get('0123456789')).toBe(2);
  });
});
