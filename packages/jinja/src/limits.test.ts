import { describe, expect, it } from 'vitest';
import { Environment } from './environment.ts';
import { TemplateError } from './errors.ts';

const environment = new Environment({ limits: { maxMilliseconds: 60_000 } });

function limitOf(template: string, environmentUsed = environment): string | undefined {
  try {
    environmentUsed.render(template, { big: 'x'.repeat(1000) });
  } catch (error) {
    if (error instanceof TemplateError && error.kind === 'limit') return error.limit;
    throw error;
  }
  return undefined;
}

describe('limits', () => {
  it('refuses work, output and sizes beyond the limits, naming the limit', () => {
    expect(limitOf('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}')).toBe('maxSteps');
    expect(limitOf("{{ 'a' * 10**9 }}")).toBe('maxStringLength');
    expect(limitOf('{{ range(10**12) | length }}')).toBe('maxCollectionLength');
    expect(limitOf('{{ [1] * 10**6 }}')).toBe('maxCollectionLength');
    expect(limitOf('{% for i in range(100000) %}{{ big }}{% endfor %}')).toBe('maxOutputLength');
    expect(limitOf(`{% set s = big %}${'{% set s = s ~ s %}'.repeat(30)}{{ s | length }}`)).toBe('maxStringLength');
    expect(limitOf("{{ '%99999999s' % 'x' }}")).toBe('maxStringLength');
    expect(limitOf("{{ 'x'.center(10**9) }}")).toBe('maxStringLength');
    expect(limitOf("{{ '{:>999999999}'.format(1) }}")).toBe('maxStringLength');
    expect(limitOf('{{ big | indent(10**9) }}')).toBe('maxStringLength');
    expect(limitOf("{{ ([big] * 10000) | join('') }}")).toBe('maxStringLength');
  });

  it('bounds work on data with shared parts, which grows exponentially when walked', () => {
    const nested = '{% set a = [big] * 1000 %}{% set b = [a] * 1000 %}{% set c = [b] * 1000 %}';
    expect(limitOf(`${nested}{{ c }}`)).toMatch(/^max(Steps|StringLength)$/);
    expect(limitOf(`${nested}{{ c | tojson }}`)).toMatch(/^max(Steps|StringLength)$/);
    expect(limitOf(`${nested}{{ c == c }}`)).toBe('maxSteps');
    expect(limitOf(`${nested}{{ c | unique | list | length }}`)).toMatch(/^max(Steps|StringLength)$/);
  });

  it('charges work on long strings by their length', () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    const error = (() => {
      try {
        environment.render('{% for i in range(100000) %}{% set y = big | upper %}{% endfor %}', { big });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ kind: 'limit', limit: 'maxSteps' });
  });

  it('bounds the time of a render', () => {
    const quick = new Environment({ limits: { maxMilliseconds: 50, maxSteps: Number.MAX_SAFE_INTEGER } });
    const started = performance.now();
    expect(limitOf('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', quick)).toBe('maxMilliseconds');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('bounds deep data it prints or compares', () => {
    let deep: unknown = 1;
    for (let depth = 0; depth < 1000; depth += 1) deep = [deep];
    expect(() => environment.render('{{ deep }}', { deep })).toThrow(expect.objectContaining({ limit: 'maxDataDepth' }));
    expect(() => environment.render('{{ deep == deep }}', { deep })).toThrow(expect.objectContaining({ limit: 'maxDataDepth' }));
  });

  it('counts the evaluation depth of long operator chains', () => {
    expect(limitOf(`{{ ${Array.from({ length: 500 }, () => '1').join(' + ')} }}`)).toBe('maxNestingDepth');
    expect(environment.render(`{{ ${Array.from({ length: 40 }, () => '1').join(' + ')} }}`, {})).toBe('40');
  });
});
