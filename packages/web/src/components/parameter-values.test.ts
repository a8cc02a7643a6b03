import { describe, expect, it } from 'vitest';
import { fieldValue, kindOf, orderedParameters } from './parameter-values.ts';

describe('run form values', () => {
  it('sends nothing for a field left empty or at its default: the server applies defaults', () => {
    expect(fieldValue({ type: 'string', default: 'hi' }, 'hi')).toEqual({});
    expect(fieldValue({ type: 'string' }, '')).toEqual({});
    expect(fieldValue({ type: 'boolean', default: true }, true)).toEqual({});
    expect(fieldValue({ type: 'boolean' }, true)).toEqual({ value: true });
    expect(fieldValue({ type: 'object', default: { a: 1 } }, JSON.stringify({ a: 1 }, null, 2))).toEqual({});
  });

  it('names what is wrong before anything is sent', () => {
    expect(fieldValue({ type: 'string', required: true }, '  ')).toEqual({ problem: 'is required' });
    expect(fieldValue({ type: 'integer' }, '1.5')).toEqual({ problem: 'must be a whole number' });
    expect(fieldValue({ type: 'number', minimum: 2 }, '1')).toEqual({ problem: 'must be at least 2' });
    expect(fieldValue({ type: 'array' }, '{"a": 1}').problem).toMatch(/JSON array/);
    expect(fieldValue({ type: 'object' }, '[1]').problem).toMatch(/JSON object/);
    expect(fieldValue({ type: 'object' }, '{nope').problem).toMatch(/not valid JSON/);
  });

  it('converts each type to its JSON value', () => {
    expect(fieldValue({ type: 'integer' }, '42')).toEqual({ value: 42 });
    expect(fieldValue({ type: 'array' }, '["a", 2]')).toEqual({ value: ['a', 2] });
    expect(fieldValue({ type: 'object' }, '{"k": "v"}')).toEqual({ value: { k: 'v' } });
    expect(fieldValue({ type: 'string' }, '{{ st2kv.system.x }}')).toEqual({ value: '{{ st2kv.system.x }}' });
    expect(kindOf({ type: ['null', 'integer'] })).toBe('integer');
    expect(kindOf({})).toBe('json');
  });

  it("orders parameters as StackStorm does: position, then required, then name", () => {
    const order = orderedParameters({ b: {}, a: {}, r: { required: true }, p1: { position: 1 }, p0: { position: 0 } }).map(([name]) => name);
    expect(order).toEqual(['p0', 'p1', 'r', 'a', 'b']);
  });

  it('sends defaults too when asked (an inquiry applies none), and requires a required field even with a default', () => {
    expect(fieldValue({ type: 'string', default: 'low' }, 'low', { sendDefaults: true })).toEqual({ value: 'low' });
    expect(fieldValue({ type: 'boolean' }, false, { sendDefaults: true })).toEqual({ value: false });
    expect(fieldValue({ type: 'string', required: true, default: 'x' }, '', { sendDefaults: true })).toEqual({ problem: 'is required' });
    expect(fieldValue({ type: 'string' }, '', { sendDefaults: true })).toEqual({});
  });
});
