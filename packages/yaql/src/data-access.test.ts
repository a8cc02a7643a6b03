import { describe, expect, it } from 'vitest';
import { callTraps, hostObjects } from '@packrun/expression-kit/testing';
import { YaqlEngine } from './engine.ts';
import { YaqlError } from './errors.ts';

const engine = new YaqlEngine();

function outcome(expression: string, root: unknown = null, variables: Record<string, unknown> = {}): string {
  try {
    return `ok: ${JSON.stringify(engine.evaluate(expression, { root, variables }))}`;
  } catch (error) {
    if (error instanceof YaqlError) return `${error.kind}: ${error.detail}`;
    throw error;
  }
}

describe('what expressions can read', () => {
  it('reads own data of plain objects, never what they inherit', () => {
    const root = { data: { name: 'x' }, bare: Object.assign(Object.create(null) as object, { k: 1 }) };
    expect(outcome('[$.data.name, $.bare.k, $.data.get(name), $.data[name]]', root)).toBe('ok: ["x",1,"x","x"]');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype']) {
      expect(outcome(`$.data.get('${name}')`, root)).toBe('ok: null');
      expect(outcome(`$.data.containsKey('${name}')`, root)).toBe('ok: false');
      expect(outcome(`$.data['${name}']`, root)).toMatch(/^lookup: /);
    }
    expect(outcome('$.data.constructor', root)).toMatch(/^lookup: the dict has no key 'constructor'/);
    expect(outcome("'abc'.length")).toMatch(/^type: a string has no attribute "length"/);
    expect(outcome('[1].length')).toMatch(/^ok: \[\]|^type: /);
    expect(outcome("''.constructor")).toMatch(/^type: /);
  });

  it('reads a bare name that spells a JavaScript internal as the string it is', () => {
    expect(outcome('[constructor, toString, valueOf, hasOwnProperty, prototype]')).toBe('ok: ["constructor","toString","valueOf","hasOwnProperty","prototype"]');
    expect(outcome('dict(constructor => 1, toString => 2)')).toBe('ok: {"constructor":1,"toString":2}');
    expect(outcome('let(constructor => 1) -> $constructor + 1')).toBe('ok: 2');
    expect(outcome('$constructor')).toBe('ok: null');
    expect(outcome('constructor()')).toMatch(/^name: Unknown function "constructor"/);
    expect(outcome('1.toString()')).toMatch(/^name: Unknown method "toString"/);
  });

  it('refuses the payloads known against Python yaql and Python templates', () => {
    // yaql 1.x's format() exposed Python's object graph ('{0.__class__}'); yaql 3 and this engine have no format().
    expect(outcome("'{0.__class__.__init__.__globals__}'.format($)", {})).toMatch(/^name: Unknown method "format"/);
    expect(outcome("format('{0.__class__}', $)", {})).toMatch(/^name: Unknown function "format"/);
    for (const payload of ['$.__class__', '$.__proto__', '__import__', '$.x.__dict__']) expect(outcome(payload, { x: {} })).toMatch(/^syntax: Lexical error/);
    expect(outcome("'x'.__len__()")).toMatch(/^name: Unknown method "__len" for receiver 'x'/);
    expect(outcome("$.get('__class__')", {})).toBe('ok: null');
    expect(outcome("def(f, $) -> f(1)")).toMatch(/^name: Unknown function "def"/);
    expect(outcome("call(str, [1], {})")).toMatch(/^name: Unknown function "call"/);
    expect(outcome("lambda($)")).toMatch(/^name: Unknown function "lambda"/);
    expect(outcome("#operator_.($, x)")).toMatch(/^syntax: /);
  });

  it('reads a key named like a JavaScript internal when the data has it as its own', () => {
    const root = JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}') as unknown;
    expect(outcome("[$.get('__proto__').x, $.constructor, $.keys()]", root)).toBe('ok: [1,"c",["__proto__","constructor"]]');
  });

  it('never calls a getter or a function found in the data', () => {
    const { withGetter, fn, calls } = callTraps();
    expect(outcome('$.obj.get(secret)', { obj: withGetter })).toBe('ok: null');
    expect(outcome('$.obj.keys()', { obj: withGetter })).toBe('ok: []');
    expect(outcome('$.holder.f', { holder: { f: fn } })).toMatch(/^unsafe: the value of key 'f' is a function/);
    expect(outcome('$f', null, { f: fn })).toMatch(/^unsafe: the variable \$f is a function/);
    expect(outcome('$.list[0]', { list: [fn] })).toMatch(/^unsafe: an item of a list is a function/);
    expect(outcome('$.list', { list: [fn] })).toMatch(/^unsafe: the result holds a function/);
    expect(outcome('$.holder', { holder: { f: fn } })).toMatch(/^unsafe: the result holds a function/);
    expect(calls()).toBe(0);
  });

  it('refuses host objects: Map, Date, Buffer, class instances, Promise', () => {
    for (const [name, value] of hostObjects()) {
      expect(outcome(`$.holder.${name}`, { holder: { [name]: value } })).toMatch(/^unsafe: .* is not plain data, which expressions cannot use/);
      expect(outcome(`$.holder.${name}.password`, { holder: { [name]: value } })).toMatch(/^unsafe: /);
      expect(outcome(`$.holder.values().select($.password)`, { holder: { [name]: value } })).toMatch(/^type: |^unsafe: /);
    }
  });

  it('creates dict keys without assigning them, so __proto__ is only a key', () => {
    const value = engine.evaluate("{'__proto__' => {polluted => 1}}.set('constructor', 3)") as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(engine.evaluate("dict([['__proto__', 1]]) + {constructor => 2}")).toEqual(JSON.parse('{"__proto__": 1, "constructor": 2}'));
  });

  it('never changes the caller data and returns copies of it', () => {
    const root = { list: [3, 1, 2], dict: { a: { b: 1 } } };
    const before = structuredClone(root);
    const result = engine.evaluate('[$.list.orderBy($), $.list.insert(0, 9), $.dict.set(c, 1), $.dict.delete(a), $.dict.mergeWith({a => {c => 2}}), $.dict]', { root }) as unknown[];
    expect(root).toEqual(before);
    expect(result[5]).toEqual(root.dict);
    expect(result[5]).not.toBe(root.dict);
    expect((result[5] as Record<string, unknown>)['a']).not.toBe(root.dict.a);
  });
});
