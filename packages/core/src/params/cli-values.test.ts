import { describe, expect, it } from 'vitest';
import { PackrunError } from '../errors.ts';
import type { ActionMeta, ParameterSpec } from '../pack/types.ts';
import { parseParameterSpecs } from './parameter-spec.ts';
import { coerceCliValue, parseCliParameters } from './cli-values.ts';

const specs = parseParameterSpecs(
  {
    s: { type: 'string' },
    i: { type: 'integer' },
    n: { type: 'number' },
    b: { type: 'boolean' },
    a: { type: 'array' },
    ai: { type: 'array', items: { type: 'integer' } },
    o: { type: 'object' },
    any: {},
  },
  { file: 'test' },
);
const spec = (name: string): ParameterSpec => specs[name]!;

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof PackrunError) return `${error.code}:${String(error.details['parameter'])}`;
    throw error;
  }
  return 'no error';
}

describe('coerceCliValue', () => {
  it('converts by type', () => {
    expect(coerceCliValue(spec('s'), '42')).toBe('42');
    expect(coerceCliValue(spec('any'), 'x=1')).toBe('x=1');
    expect(coerceCliValue(spec('i'), '-7')).toBe(-7);
    expect(coerceCliValue(spec('n'), '2.5')).toBe(2.5);
    expect(coerceCliValue(spec('n'), '1e3')).toBe(1000);
    for (const yes of ['true', 'True', '1', 'yes']) expect(coerceCliValue(spec('b'), yes)).toBe(true);
    for (const no of ['false', 'FALSE', '0', 'no']) expect(coerceCliValue(spec('b'), no)).toBe(false);
    expect(coerceCliValue(spec('a'), '["x", 2]')).toEqual(['x', 2]);
    expect(coerceCliValue(spec('a'), 'x, y ,z')).toEqual(['x', 'y', 'z']);
    expect(coerceCliValue(spec('ai'), '1,2,3')).toEqual([1, 2, 3]);
    expect(coerceCliValue(spec('o'), '{"k": [1]}')).toEqual({ k: [1] });
    expect(coerceCliValue(spec('o'), 'k1=v1,k2=v=2')).toEqual({ k1: 'v1', k2: 'v=2' });
  });

  it('refuses values that do not fit, naming the parameter', () => {
    expect(codeOf(() => coerceCliValue(spec('i'), '1.5'))).toBe('PARAMETER_INVALID:i');
    expect(codeOf(() => coerceCliValue(spec('i'), 'ten'))).toBe('PARAMETER_INVALID:i');
    expect(codeOf(() => coerceCliValue(spec('n'), ''))).toBe('PARAMETER_INVALID:n');
    expect(codeOf(() => coerceCliValue(spec('b'), 'maybe'))).toBe('PARAMETER_INVALID:b');
    expect(codeOf(() => coerceCliValue(spec('a'), '[1,'))).toBe('PARAMETER_INVALID:a');
    expect(codeOf(() => coerceCliValue(spec('ai'), '1,x'))).toBe('PARAMETER_INVALID:ai');
    expect(codeOf(() => coerceCliValue(spec('o'), '[1]'))).toBe('PARAMETER_INVALID:o');
    expect(codeOf(() => coerceCliValue(spec('o'), 'novalue'))).toBe('PARAMETER_INVALID:o');
  });
});

describe('parseCliParameters', () => {
  const action = { ref: 'demo.act', file: 'actions/act.yaml', parameters: specs } as unknown as ActionMeta;
  it('parses name=value pairs by type and refuses unknown names', () => {
    expect(parseCliParameters(action, ['i=3', 's=a=b', 'b=no'])).toEqual({ i: 3, s: 'a=b', b: false });
    expect(codeOf(() => parseCliParameters(action, ['zzz=1']))).toBe('PARAMETER_INVALID:zzz');
    expect(() => parseCliParameters(action, ['novalue'])).toThrow(/is not name=value/);
  });
});
