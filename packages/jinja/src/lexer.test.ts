import { describe, expect, it } from 'vitest';
import { TemplateError } from './errors.ts';
import { normaliseSource, tokenize, tokenizeExpression, type LexerOptions } from './lexer.ts';

const stackstorm: LexerOptions = { trimBlocks: true, lstripBlocks: true, keepTrailingNewline: false };
const plain: LexerOptions = { trimBlocks: false, lstripBlocks: false, keepTrailingNewline: false };

/** The data of a template, with `|` where a tag was. */
function data(source: string, options = stackstorm): string {
  return tokenize(normaliseSource(source, options), options)
    .filter((token) => token.type === 'data' || token.type === 'block_begin' || token.type === 'variable_begin')
    .map((token) => (token.type === 'data' ? token.value : '|'))
    .join('');
}

function lexError(source: string): TemplateError {
  try {
    tokenize(source, stackstorm);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('lexer', () => {
  it('applies trim_blocks and lstrip_blocks to block tags and comments, not to {{ }}', () => {
    expect(data('  {% if x %}\n  a\n  {% endif %}\nend')).toBe('|  a\n|end');
    expect(data('  {# note #}\nb')).toBe('b');
    expect(data('  {{ x }}\n')).toBe('  |');
    expect(data('  {% if x %}\nb', plain)).toBe('  |\nb');
  });

  it('strips whitespace with - and keeps it with +', () => {
    expect(data('a  \n {%- if x -%}  \n b')).toBe('a|b');
    expect(data('a  {{- x -}}  b')).toBe('a|b');
    expect(data('  {%+ if x %}\nb')).toBe('  |b');
    expect(data('{% if x +%}\nb')).toBe('|\nb');
  });

  it('normalises line endings and drops one trailing newline, as keep_trailing_newline=False', () => {
    expect(normaliseSource('a\r\nb\rc\n', stackstorm)).toBe('a\nb\nc');
    expect(normaliseSource('a\n\n', stackstorm)).toBe('a\n');
    expect(normaliseSource('a\n', { keepTrailingNewline: true })).toBe('a\n');
  });

  it('keeps {% raw %} content as data', () => {
    expect(data('{% raw %}{{ x }}{% if %}{% endraw %}!')).toBe('{{ x }}{% if %}!');
    expect(data('{%- raw -%}  {{ x }}  {%- endraw %}')).toBe('{{ x }}');
  });

  it('lexes names, numbers, strings and operators', () => {
    const tokens = tokenizeExpression("a.b[0] // 2 ** 1_000 ~ 'x\\n' != 1.5e3 and 0x1f");
    expect(tokens.map((token) => (token.type === 'eof' ? 'eof' : token.value))).toEqual([
      'a', '.', 'b', '[', 0, ']', '//', 2, '**', 1000, '~', 'x\n', '!=', 1500, 'and', 31, 'eof',
    ]);
    expect(tokenizeExpression('items.0.1').map((token) => token.type)).toEqual(['name', 'operator', 'integer', 'operator', 'integer', 'eof']);
  });

  it('decodes string escapes as Python does', () => {
    const value = (literal: string): unknown => tokenizeExpression(literal)[0]!.value;
    expect(value("'\\t\\x41\\u00e9\\U0001F600\\101'")).toBe('\tAé😀A');
    expect(value("'\\d+\\.'")).toBe('\\d+\\.');
    expect(value('"it\'s \\"q\\""')).toBe('it\'s "q"');
    expect(value("'\\1'")).toBe('\x01');
  });

  it('lets an end delimiter inside brackets belong to the expression', () => {
    const tokens = tokenize("{{ {'a': {'b': 1}} }}", stackstorm);
    expect(tokens.filter((token) => token.type === 'variable_end')).toHaveLength(1);
    expect(tokens.filter((token) => token.type === 'operator' && token.value === '}')).toHaveLength(2);
  });

  it('reports unclosed tags, strings and comments at their start', () => {
    expect(lexError('ab {{ x').message).toMatch(/not closed with "}}"/);
    expect(lexError('ab {{ x').offset).toBe(3);
    expect(lexError("{{ 'open }}").message).toMatch(/string is not closed/);
    expect(lexError('{# never').message).toMatch(/comment is not closed/);
    expect(lexError('{% raw %}x').message).toMatch(/endraw/);
    expect(lexError('{{ a ) }}').message).toMatch(/unexpected "\)"/);
    expect(lexError('{{ a $ b }}').message).toMatch(/unexpected character "\$"/);
  });
});
