import { describe, expect, it } from 'vitest';
import { YaqlEngine } from './engine.ts';
import { YaqlError } from './errors.ts';

const engine = new YaqlEngine({ limits: { maxMilliseconds: 60_000 } });

function limitOf(expression: string, root: unknown = null, using = engine): string | undefined {
  try {
    using.evaluate(expression, { root });
  } catch (error) {
    if (error instanceof YaqlError && error.kind === 'limit') return error.limit;
    throw error;
  }
  return undefined;
}

describe('limits', () => {
  it('refuses work, sizes and nesting beyond the limits, naming the limit', () => {
    expect(limitOf('sequence().where(false).first()')).toBe('maxSteps');
    expect(limitOf('range(100000).select(range(100000)).selectMany($).count()')).toBe('maxSteps');
    expect(limitOf('range(1000000)')).toBe('maxCollectionLength');
    expect(limitOf('[1, 2, 3].cycle().toList()')).toBe('maxCollectionLength');
    expect(limitOf('let(x => [1, 2, 3]) -> $x * 1000000')).toBe('maxCollectionLength');
    expect(limitOf("'x' * 100000000")).toBe('maxStringLength');
    expect(limitOf("('a,' * 1000000).split(',')")).toBe('maxCollectionLength');
    expect(limitOf("('a ' * 1000000).split()")).toBe('maxCollectionLength');
    expect(limitOf("('a' * 1000000).toCharArray()")).toBe('maxCollectionLength');
    expect(limitOf("let(s => 'x' * 100000) -> range(200).select($s).join('')")).toBe('maxStringLength');
    expect(limitOf(`${'('.repeat(300)}1${')'.repeat(300)}`)).toBe('maxNestingDepth');
    expect(limitOf(Array.from({ length: 500 }, () => '1').join(' + '))).toBe('maxNestingDepth');
    expect(engine.evaluate(Array.from({ length: 40 }, () => '1').join(' + '))).toBe(40);
    expect(limitOf('1'.repeat(300_000))).toBe('maxSourceLength');
  });

  it('bounds work on data with shared parts, which grows exponentially when walked', () => {
    expect(limitOf('range(30).aggregate($1 + [$1, $1], [1])')).toMatch(/^max(Steps|CollectionLength)$/);
    expect(limitOf("range(30).aggregate(dict(a => $1, b => $1), {}).len()")).toBeUndefined();
    expect(limitOf("str(range(30).aggregate(dict(a => $1, b => $1), {}))")).toMatch(/^max(Steps|StringLength)$/);
  });

  it('bounds deep data it prints, compares, hashes or returns', () => {
    let deep: unknown = 1;
    for (let depth = 0; depth < 1000; depth += 1) deep = [deep];
    expect(limitOf('str($)', deep)).toBe('maxDataDepth');
    expect(limitOf('$', deep)).toBe('maxDataDepth');
    expect(limitOf('[$] = [[$]]', deep)).toBe('maxDataDepth');
    expect(limitOf('set($)', deep)).toBe('maxDataDepth');
  });

  it('bounds the time of an evaluation', () => {
    const quick = new YaqlEngine({ limits: { maxMilliseconds: 50, maxSteps: Number.MAX_SAFE_INTEGER } });
    const started = performance.now();
    expect(limitOf('sequence().where(false).first()', null, quick)).toBe('maxMilliseconds');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('stops a regular expression that backtracks catastrophically when the time is up', () => {
    const quick = new YaqlEngine({ limits: { maxMilliseconds: 200 } });
    const started = performance.now();
    const attack = `'${'a'.repeat(40)}!'`;
    expect(limitOf(`regex('^(a+)+$').matches(${attack})`, null, quick)).toBe('maxMilliseconds');
    expect(limitOf(`${attack} =~ '^(a|aa)+$'`, null, quick)).toBe('maxMilliseconds');
    expect(limitOf(`${attack}.replace(regex('(a*)*b'), x)`, null, quick)).toBe('maxMilliseconds');
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('lets several evaluations share one budget', () => {
    const meter = new YaqlEngine({ limits: { maxSteps: 5000 } }).meter();
    const shared = new YaqlEngine({ limits: { maxSteps: 5000 } });
    shared.evaluate('range(1000).sum()', { meter });
    expect(() => {
      for (let round = 0; round < 10; round += 1) shared.evaluate('range(1000).sum()', { meter });
    }).toThrow(expect.objectContaining({ limit: 'maxSteps' }));
  });
});
