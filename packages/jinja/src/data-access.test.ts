import { describe, expect, it } from 'vitest';
import { callTraps, hostObjects } from '@packrun/expression-kit/testing';
import { Environment } from './environment.ts';
import { TemplateError } from './errors.ts';
import { StringWithAttributes } from './template-values.ts';

const environment = new Environment();

function outcome(template: string, context: Record<string, unknown> = {}): string {
  try {
    return `ok: ${environment.render(template, context, { undefined: 'lenient' })}`;
  } catch (error) {
    if (error instanceof TemplateError) return `${error.kind}: ${error.message}`;
    throw error;
  }
}

describe('what templates can read', () => {
  it('reads own data of plain objects, never what they inherit', () => {
    const context = { data: { name: 'x' }, bare: Object.assign(Object.create(null) as object, { k: 1 }) };
    expect(outcome('{{ data.name }} {{ bare.k }} {{ data["name"] }}', context)).toBe('ok: x 1 x');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype']) {
      expect(outcome(`{{ data.${name} is defined }}|{{ data['${name}'] is defined }}|{{ ${name} is defined }}`, context)).toBe('ok: False|False|False');
    }
    expect(outcome('{{ "".constructor is defined }}|{{ [].constructor is defined }}|{{ (1).constructor is defined }}', context)).toBe('ok: False|False|False');
    expect(outcome('{{ "abc".length is defined }}|{{ [1].length is defined }}', context)).toBe('ok: False|False');
  });

  it('reads a key named like a JavaScript internal when the data has it as its own', () => {
    const context = { body: JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as unknown };
    expect(outcome('{{ body.__proto__.x }} {{ body.constructor }}', context)).toBe('ok: 1 c');
  });

  it('never calls a getter or a function found in the context', () => {
    const { withGetter, fn, calls } = callTraps();
    expect(outcome('{{ obj.secret }}', { obj: withGetter })).toBe('ok: ');
    expect(outcome('{{ f() }}', { f: fn })).toMatch(/^unsafe: "f" is a function, which templates cannot use/);
    expect(outcome('{{ holder.f }}', { holder: { f: fn } })).toMatch(/^unsafe: "holder.f" is a function/);
    expect(outcome('{% for x in list %}{{ x }}{% endfor %}', { list: [fn] })).toMatch(/^unsafe: an item of "list" is not plain data/);
    expect(calls()).toBe(0);
  });

  it('refuses host objects: Map, Date, Buffer, class instances, Promise', () => {
    for (const [name, value] of hostObjects()) {
      expect(outcome(`{{ ${name} }}`, { [name]: value })).toMatch(/^unsafe: .* is not plain data, which templates cannot use/);
      expect(outcome(`{{ holder.${name}.password }}`, { holder: { [name]: value } })).toMatch(/^unsafe: /);
    }
  });

  it('gives the engine functions no attributes', () => {
    expect(outcome('{{ range.constructor }}')).toMatch(/^unsafe: "range.constructor": a function has no attributes/);
    expect(outcome('{{ range.__call__ }}')).toMatch(/^unsafe: /);
    expect(outcome('{{ range.call(1) }}')).toMatch(/^unsafe: "range.call": a function has no attributes/);
    expect(outcome('{{ "x".nosuch() }}')).toMatch(/^type: "\"x\".nosuch" is not a method a template can call on a str/);
  });

  it('reads the attributes of a StringWithAttributes and prints its text', () => {
    const kv = { a: new StringWithAttributes('top', { b: 'nested' }) };
    expect(outcome('{{ kv.a }}/{{ kv.a.b }}/{{ kv.a | upper }}/{{ kv.a.upper() }}/{{ kv.a[0] }}', { kv })).toBe('ok: top/nested/TOP/TOP/t');
    expect(environment.compile('{{ kv.a }}').renderValue({ kv })).toBe('top');
  });

  it('creates dict keys without assigning them, so __proto__ is only a key', () => {
    const template = '{% set d = {"__proto__": {"polluted": 1}} %}{% set e = {} %}{% set _ = e.update({"__proto__": 2}) %}{% set _ = e.setdefault("constructor", 3) %}{{ d }} {{ e }}';
    expect(outcome(template)).toBe("ok: {'__proto__': {'polluted': 1}} {'__proto__': 2, 'constructor': 3}");
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const value = environment.compile('{{ {"__proto__": {"polluted": 1}} }}').renderValue({}) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
