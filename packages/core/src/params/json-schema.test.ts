import { describe, expect, it } from 'vitest';
import { compileSchema, describeSchemaErrors } from './json-schema.ts';

describe('compileSchema', () => {
  it('accepts draft-3 style required: true inside properties, as StackStorm does', () => {
    const check = compileSchema({
      type: 'object',
      properties: { name: { type: 'string', required: true }, inner: { type: 'object', properties: { id: { type: 'integer', required: true } } } },
    });
    expect(check({ name: 'x' })).toBe(true);
    expect(check({})).toBe(false);
    expect(describeSchemaErrors(check.errors)).toContain("must have required property 'name'");
    expect(check({ name: 'x', inner: {} })).toBe(false);
    expect(describeSchemaErrors(check.errors)).toContain("/inner must have required property 'id'");
  });

  it('keeps draft-4 required lists and leaves enum values alone', () => {
    const check = compileSchema({ type: 'object', required: ['a'], properties: { a: { enum: [{ required: true }] } } });
    expect(check({ a: { required: true } })).toBe(true);
    expect(check({})).toBe(false);
  });

  it('throws on a schema that is not valid', () => {
    expect(() => compileSchema({ type: 'string', minLength: 'x' })).toThrow();
  });

  it('compiles a schema once however many copies of it are loaded', () => {
    const first = compileSchema({ type: 'object', properties: { a: { type: 'integer' } } });
    const again = compileSchema({ type: 'object', properties: { a: { type: 'integer' } } });
    expect(again).toBe(first);
    expect(again({ a: 'x' })).toBe(false);
  });

  it('reads Python type names (list, dict, str...) as their JSON types', () => {
    const check = compileSchema({ type: 'object', properties: { tags: { type: 'list' }, meta: { type: ['dict', 'null'] } } });
    expect(check({ tags: ['a'], meta: null })).toBe(true);
    expect(check({ tags: 'a' })).toBe(false);
  });
});
