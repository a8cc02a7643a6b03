import { describe, expect, it } from 'vitest';
import { renderValue } from './render.ts';
import { pyJsonDumps } from '@packrun/jinja';

const r = (template: string, context: Record<string, unknown> = {}): unknown => renderValue(template, context);
const data = { d: { b: 1, a: [1, 'x'] }, s: 'caf\u00e9' };

describe('StackStorm filters', () => {
  it('to_json_string matches json.dumps with separators (",", ": ")', () => {
    expect(r('{{ d | to_json_string }}', data)).toBe('{"b": 1,"a": [1,"x"]}');
    expect(r('{{ d | to_json_string(sort_keys=True) }}', data)).toBe('{"a": [1,"x"],"b": 1}');
    expect(r('{{ d | to_json_string(indent=2) }}', data)).toBe('{\n  "b": 1,\n  "a": [\n    1,\n    "x"\n  ]\n}');
    expect(r('{{ s | to_json_string }}', data)).toBe('"caf\\u00e9"');
  });

  it('to_complex and json_escape use json.dumps defaults', () => {
    expect(r('{{ d | to_complex }}', data)).toBe('{"b": 1, "a": [1, "x"]}');
    expect(r('{{ text | json_escape }}', { text: 'say "hi"\n' })).toBe('say \\"hi\\"\\n');
  });

  it('parses JSON and YAML strings', () => {
    expect(r('{{ text | from_json_string }}', { text: '{"a": [1, 2]}' })).toEqual({ a: [1, 2] });
    expect(r('{{ text | from_yaml_string }}', { text: 'a:\n  - 1\n  - two\n' })).toEqual({ a: [1, 'two'] });
    expect(() => r('{{ text | from_json_string }}', { text: '{bad' })).toThrow(/JSON/);
  });

  it('to_yaml_string dumps block style with sorted keys, like yaml.safe_dump', () => {
    expect(r('{{ d | to_yaml_string }}', data)).toBe('a:\n  - 1\n  - x\nb: 1\n');
  });

  it('regex_match anchors at the start, regex_search anywhere', () => {
    expect(r("{{ 'abc' | regex_match('b') }}")).toBe(false);
    expect(r("{{ 'abc' | regex_match('a') }}")).toBe(true);
    expect(r("{{ 'abc' | regex_search('b') }}")).toBe(true);
    expect(r("{{ 'ABC' | regex_search('b', ignorecase=True) }}")).toBe(true);
    expect(r("{{ 123 | regex_match('\\d+') }}")).toBe(true);
  });

  it('regex_replace takes Python replacement syntax', () => {
    // In a Jinja string literal `\1` is an octal escape, as in Python: a back-reference is written `\\1`.
    expect(r("{{ 'john smith' | regex_replace('(\\w+) (\\w+)', '\\\\2, \\\\1') }}")).toBe('smith, john');
    expect(r("{{ 'john smith' | regex_replace('(\\w+) (\\w+)', '\\2') }}")).toBe('\x02');
    expect(r("{{ 'v1.2' | regex_replace('v(?P<ver>.*)', 'version \\g<ver>') }}")).toBe('version 1.2');
    expect(r("{{ 'cost 5' | regex_replace('\\d', '$') }}")).toBe('cost $');
  });

  it('regex_substring returns the n-th findall result', () => {
    expect(r("{{ 'a1 b2 c3' | regex_substring('\\d') }}")).toBe('1');
    expect(r("{{ 'a1 b2 c3' | regex_substring('(\\w)\\d', 2) }}")).toBe('c');
    expect(() => r("{{ 'a1' | regex_substring('\\d', 5) }}")).toThrow(/no match number 5/);
  });

  it('compares, matches and bumps versions', () => {
    expect(r("{{ '1.2.3' | version_compare('1.10.0') }}")).toBe(-1);
    expect(r("{{ '2.0.0' | version_more_than('1.9.9') }}")).toBe(true);
    expect(r("{{ '1.0.0' | version_less_than('1.0.1') }}")).toBe(true);
    expect(r("{{ '1.0.0' | version_equal('1.0.0') }}")).toBe(true);
    expect(r("{{ '1.4.0' | version_match('>=1.3.0') }}")).toBe(true);
    expect(r("{{ '1.4.0' | version_match('<1.3.0') }}")).toBe(false);
    expect(r("{{ '1.4.0' | version_match('!=1.4.0') }}")).toBe(false);
    expect(r("{{ '1.2.3' | version_bump_major }}")).toBe('2.0.0');
    expect(r("{{ '1.2.3' | version_bump_minor }}")).toBe('1.3.0');
    expect(r("{{ '1.2.3' | version_bump_patch }}")).toBe('1.2.4');
    expect(r("{{ '1.2.3' | version_strip_patch }}")).toBe('1.2');
    expect(() => r("{{ '1.2' | version_bump_patch }}")).toThrow(/not a valid semver/);
  });

  it('basename and dirname follow Python posixpath', () => {
    expect(r("{{ '/a/b/c.txt' | basename }}")).toBe('c.txt');
    expect(r("{{ '/a/b/' | basename }}")).toBe('');
    expect(r("{{ '/a/b/c.txt' | dirname }}")).toBe('/a/b');
    expect(r("{{ '/top' | dirname }}")).toBe('/');
    expect(r("{{ 'plain' | dirname }}")).toBe('');
  });

  it('jsonpath_query returns the matches, or None', () => {
    const doc = { store: { books: [{ title: 'a', price: 5 }, { title: 'b', price: 9 }], bike: { price: 20 } } };
    expect(r("{{ doc | jsonpath_query('$.store.books[*].title') }}", { doc })).toEqual(['a', 'b']);
    expect(r("{{ doc | jsonpath_query('store.books[1]') }}", { doc })).toEqual([{ title: 'b', price: 9 }]);
    expect(r("{{ doc | jsonpath_query('$..price') }}", { doc })).toEqual([5, 9, 20]);
    expect(r("{{ doc | jsonpath_query(\"$['store']['bike'].price\") }}", { doc })).toEqual([20]);
    expect(r("{{ doc | jsonpath_query('$.store.books[0:1].title') }}", { doc })).toEqual(['a']);
    expect(r("{{ doc | jsonpath_query('$.nothing') }}", { doc })).toBeNull();
    expect(() => r("{{ doc | jsonpath_query('$.a[') }}", { doc })).toThrow(/cannot parse/);
  });

  it('to_human_time_from_seconds and decrypt_kv', () => {
    expect(r('{{ 0 | to_human_time_from_seconds }}')).toBe('0s');
    expect(r('{{ 59 | to_human_time_from_seconds }}')).toBe('59s');
    expect(r('{{ 3725 | to_human_time_from_seconds }}')).toBe('1h2m5s');
    expect(r('{{ 90061 | to_human_time_from_seconds }}')).toBe('1d1h1m1s');
    expect(r("{{ 'clear' | decrypt_kv }}")).toBe('clear');
  });
});

describe('pyJsonDumps', () => {
  it('matches Python json.dumps output', () => {
    expect(pyJsonDumps({ a: [1, 2], b: null, c: true })).toBe('{"a": [1, 2], "b": null, "c": true}');
    expect(pyJsonDumps([], { indent: 2 })).toBe('[]');
    expect(pyJsonDumps({ k: 'é' }, { ensureAscii: false })).toBe('{"k": "é"}');
  });
});
