import { describe, expect, it } from 'vitest';
import { parseYaml } from './yaml-file.ts';

const load = (text: string): unknown => {
  const result = parseYaml(text, 'test.yaml');
  if (!result.ok) throw new Error(result.message);
  return result.value;
};

describe('parseYaml', () => {
  it('reads YAML 1.1 booleans as PyYAML does', () => {
    expect(load('a: yes\nb: No\nc: ON\nd: off\ne: true\nf: "yes"\ng: y')).toEqual({ a: true, b: false, c: true, d: false, e: true, f: 'yes', g: 'y' });
  });

  it('keeps timestamps as strings, honours merge keys and lets a repeated key win', () => {
    expect(load('when: 2024-01-02')).toEqual({ when: '2024-01-02' });
    expect(load('base: &b {x: 1}\nmore:\n  <<: *b\n  y: 2')).toEqual({ base: { x: 1 }, more: { x: 1, y: 2 } });
    expect(load('k: 1\nk: 2')).toEqual({ k: 2 });
  });

  it('reports syntax errors instead of throwing', () => {
    expect(parseYaml('a: [', 'bad.yaml')).toMatchObject({ ok: false, reason: 'syntax' });
  });
});
