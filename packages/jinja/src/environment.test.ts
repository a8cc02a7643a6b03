import { describe, expect, it } from 'vitest';
import { bindArguments } from './arguments.ts';
import { Environment } from './environment.ts';
import { TemplateError } from './errors.ts';

describe('environment', () => {
  it('parses a source once and renders it many times', () => {
    const environment = new Environment();
    const template = environment.compile('{{ x }}');
    expect(environment.compile('{{ x }}')).toBe(template);
    expect([template.render({ x: 1 }), template.render({ x: 'two' })]).toEqual(['1', 'two']);
  });

  it('drops the oldest parsed templates beyond its cache size, and all of them when a filter changes', () => {
    const environment = new Environment({ cacheSize: 2 });
    const first = environment.compile('a{{ 1 }}');
    environment.compile('b{{ 1 }}');
    environment.compile('c{{ 1 }}');
    expect(environment.compile('a{{ 1 }}')).not.toBe(first);
    const again = environment.compile('c{{ 1 }}');
    environment.addFilter('shout', (value) => `${String(value)}!`);
    expect(environment.compile('c{{ 1 }}')).not.toBe(again);
  });

  it('keeps no more source text than its budget, so callers cannot fill the memory with templates', () => {
    const environment = new Environment({ cacheCharacters: 100 });
    const large = environment.compile(`${'x'.repeat(200)}{{ 1 }}`);
    expect(environment.compile(`${'x'.repeat(200)}{{ 1 }}`)).not.toBe(large);
    const first = environment.compile(`${'a'.repeat(60)}{{ 1 }}`);
    environment.compile(`${'b'.repeat(60)}{{ 1 }}`);
    expect(environment.compile(`${'a'.repeat(60)}{{ 1 }}`)).not.toBe(first);
  });

  it('evaluates a bare expression to a typed value, for workflow engines', () => {
    const environment = new Environment();
    expect(environment.evaluate('items | length + 1', { items: [1, 2] })).toBe(3);
    expect(environment.evaluate('{"a": [1, x]}', { x: true })).toEqual({ a: [1, true] });
    expect(environment.evaluate('missing', {}, { undefined: 'lenient' })).toBeUndefined();
    expect(() => environment.evaluate('missing', {})).toThrow('"missing" is undefined (line 1, column 1)');
    expect(() => environment.evaluate('1 +', {})).toThrow(TemplateError);
  });

  it('lets the embedder register functions, as Orquesta adds ctx() and result()', () => {
    const environment = new Environment();
    const workflowContext = { host: 'h1', retries: 2 };
    environment.addFunction('ctx', (args) => {
      const { name } = bindArguments('ctx', args, ['name']);
      return name === undefined ? workflowContext : workflowContext[name as keyof typeof workflowContext];
    });
    environment.addFunction('succeeded', () => true);
    expect(environment.evaluate('ctx().host ~ "/" ~ ctx("retries")', {})).toBe('h1/2');
    expect(environment.render('{% if succeeded() %}{{ ctx("host") | upper }}{% endif %}', {})).toBe('H1');
    expect(() => environment.evaluate('ctx(nope=1)', {})).toThrow('ctx got an unexpected keyword argument "nope"');
    expect(environment.evaluate('ctx is callable', {})).toBe(true);
  });

  it('lets several renders share one meter, and so one budget', () => {
    const environment = new Environment({ limits: { maxSteps: 1000 } });
    const template = environment.compile('{% for i in range(100) %}{% endfor %}');
    expect(() => Array.from({ length: 20 }, () => template.render({}))).not.toThrow();
    const meter = environment.meter();
    expect(() => Array.from({ length: 20 }, () => template.render({}, { meter }))).toThrow(expect.objectContaining({ limit: 'maxSteps' }));
  });

  it('names the filter whose code failed', () => {
    const environment = new Environment();
    environment.addFilter('explode', () => {
      throw new Error('boom');
    });
    expect(() => environment.render('x {{ 1 | explode }}', {})).toThrow('filter "explode": boom (line 1, column 10)');
  });

  it('lets a context value shadow a global, as Jinja does', () => {
    const environment = new Environment();
    expect(environment.render('{{ range }}', { range: 'mine' })).toBe('mine');
    expect(() => environment.render('{{ range(2) }}', { range: 'mine' })).toThrow(/"range" is a str, which cannot be called/);
  });
});
