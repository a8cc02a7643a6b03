import { describe, expect, it } from 'vitest';
import { SourceCache } from './source-cache.ts';

/** The sources a cache of these bounds still holds after `sources` were put in it, in order. */
function kept(maxEntries: number, maxCharacters: number, sources: string[]): string[] {
  const cache = new SourceCache<string>(maxEntries, maxCharacters);
  for (const source of sources) cache.set(source, source.toUpperCase());
  return sources.filter((source) => cache.get(source) === source.toUpperCase());
}

describe('SourceCache', () => {
  it('drops the oldest entries beyond its count', () => {
    expect(kept(2, 1000, ['a', 'b', 'c'])).toEqual(['b', 'c']);
  });

  it('drops the oldest entries beyond its characters, and keeps no source longer than them all', () => {
    expect(kept(100, 10, ['aaaa', 'bbbb', 'cccc'])).toEqual(['bbbb', 'cccc']);
    expect(kept(100, 10, ['aaaa', 'x'.repeat(11)])).toEqual(['aaaa']);
    expect(kept(100, 10, ['0123456789'])).toEqual(['0123456789']);
  });

  it('keeps nothing when its count is zero, and nothing after clear', () => {
    expect(kept(0, 10, ['a'])).toEqual([]);
    const cache = new SourceCache<number>(2, 10);
    cache.set('a', 1);
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    cache.set('0123456789', 2);
    expect(cache.get('0123456789')).toBe(2);
  });
});
