import { describe, expect, it } from 'vitest';
import { pyRepr } from '@packrun/jinja';
import { parsePythonLiteral } from './python-literal.ts';

describe('parsePythonLiteral', () => {
  it('reads what Python prints', () => {
    expect(parsePythonLiteral("{'a': [1, 2.5, -3], 'b': None, \"c\": (True, False), 'd': 'it\\'s\\n'}")).toEqual({
      a: [1, 2.5, -3],
      b: null,
      c: [true, false],
      d: "it's\n",
    });
    expect(parsePythonLiteral('  []  ')).toEqual([]);
    expect(parsePythonLiteral("'\\x41\\u00e9'")).toBe('Aé');
  });

  it('round-trips pyRepr output', () => {
    const value = { name: "O'Brien", tags: ['x', 'y "q"'], nested: { on: true, off: null, n: 0.25 } };
    expect(parsePythonLiteral(pyRepr(value))).toEqual(value);
  });

  it('refuses what is not a literal', () => {
    expect(() => parsePythonLiteral("{'a': os.system('x')}")).toThrow(/not a Python literal/);
    expect(() => parsePythonLiteral('[1, 2')).toThrow(/not a Python literal/);
    expect(() => parsePythonLiteral("{'a': 1} extra")).toThrow(/trailing text/);
    expect(() => parsePythonLiteral("'open")).toThrow(/unterminated/);
  });
});
