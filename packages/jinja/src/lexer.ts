import { TemplateError } from './errors.ts';
import { decodeStringLiteral } from './string-literal.ts';

/**
 * Splits a template into tokens the way Jinja's lexer does: text outside tags becomes `data`
 * (with whitespace control, trim_blocks and lstrip_blocks applied), `{% raw %}` content becomes
 * data untouched, comments disappear, and the inside of `{{ }}` and `{% %}` becomes expression
 * tokens. Line endings are normalised to `\n` and one trailing newline is dropped, as Jinja does
 * unless keep_trailing_newline is set.
 */

export type Token =
  | { type: 'data'; value: string; offset: number }
  | { type: 'variable_begin' | 'variable_end' | 'block_begin' | 'block_end' | 'eof'; value: ''; offset: number }
  | { type: 'name' | 'operator'; value: string; offset: number }
  | { type: 'string'; value: string; offset: number }
  | { type: 'integer' | 'float'; value: number; offset: number };

export interface LexerOptions {
  /** Remove the first newline after a block or comment tag. */
  trimBlocks: boolean;
  /** Remove spaces and tabs from the start of a line up to a block or comment tag. */
  lstripBlocks: boolean;
  /** Keep a trailing newline at the end of the template. */
  keepTrailingNewline: boolean;
}

/** Jinja's line-ending normalisation, applied before lexing so offsets match what is shown. */
export function normaliseSource(source: string, options: Pick<LexerOptions, 'keepTrailingNewline'>): string {
  let text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  if (!options.keepTrailingNewline && text.endsWith('\n')) text = text.slice(0, -1);
  return text;
}

const tagStart = /\{([{%#])/g;
const rawBegin = /\s*raw\s*(?:-%\}|%\})/y;
const rawEnd = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
const whitespace = /\s+/y;
const namePattern = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const floatPattern = /\d(?:_?\d)*(?:\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|[eE][+-]?\d(?:_?\d)*)/y;
const integerPattern = /0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|\d(?:_?\d)*/y;
const twoCharOperators = new Set(['//', '**', '==', '!=', '>=', '<=']);
const oneCharOperators = new Set(['+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '>', '<', '=', '.', ':', '|', ',', ';']);
const closers: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** `source` must already be normalised (normaliseSource). */
export function tokenize(source: string, options: LexerOptions): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  // Jinja's lstrip_blocks also applies at the start of the template and after a tag that ate a newline.
  let lineStarting = true;

  const pushData = (text: string, offset: number): void => {
    if (text !== '') tokens.push({ type: 'data', value: text, offset });
  };
  /** Whitespace control after a tag end: `-` eats all whitespace, trim_blocks one newline. */
  const afterTag = (from: number, modifier: string, trims: boolean): number => {
    let next = from;
    if (modifier === '-') next = skipWhitespace(source, next);
    else if (modifier !== '+' && trims && source[next] === '\n') next += 1;
    lineStarting = next > from && source[next - 1] === '\n';
    return next;
  };

  while (position < source.length) {
    tagStart.lastIndex = position;
    const found = tagStart.exec(source);
    if (!found) {
      pushData(source.slice(position), position);
      break;
    }
    const start = found.index;
    const kind = found[1]!;
    const modifier = source[start + 2];
    const hasModifier = modifier === '-' || modifier === '+';
    let text = source.slice(position, start);
    if (modifier === '-') text = text.trimEnd();
    else if (modifier !== '+' && options.lstripBlocks && kind !== '{') text = stripLineIndent(text, lineStarting);
    pushData(text, position);
    const inner = start + 2 + (hasModifier ? 1 : 0);

    if (kind === '#') {
      const end = source.indexOf('#}', inner);
      if (end === -1) throw new TemplateError('syntax', 'the comment is not closed with "#}"', { offset: start });
      position = afterTag(end + 2, end > inner ? source[end - 1]! : '', options.trimBlocks);
      continue;
    }

    if (kind === '%') {
      rawBegin.lastIndex = inner;
      const raw = rawBegin.exec(source);
      if (raw) {
        position = afterTag(rawBegin.lastIndex, raw[0].endsWith('-%}') ? '-' : '+', false);
        rawEnd.lastIndex = position;
        const end = rawEnd.exec(source);
        if (!end) throw new TemplateError('syntax', 'the {% raw %} block is not closed with {% endraw %}', { offset: start });
        let content = source.slice(position, end.index);
        if (end[1] === '-') content = content.trimEnd();
        else if (end[1] !== '+' && options.lstripBlocks) content = stripLineIndent(content, lineStarting);
        pushData(content, position);
        position = afterTag(rawEnd.lastIndex, end[2]!, options.trimBlocks);
        continue;
      }
    }

    const isBlock = kind === '%';
    tokens.push({ type: isBlock ? 'block_begin' : 'variable_begin', value: '', offset: start });
    position = lexTag(source, inner, start, isBlock ? 'block' : 'variable', tokens, (endOffset, endModifier) =>
      afterTag(endOffset, endModifier, isBlock && options.trimBlocks),
    );
  }
  tokens.push({ type: 'eof', value: '', offset: source.length });
  return tokens;
}

/** The tokens of a bare expression (no `{{ }}` around it), ending with `eof`. */
export function tokenizeExpression(source: string): Token[] {
  const tokens: Token[] = [];
  lexTag(source, 0, 0, 'expression', tokens, () => source.length);
  tokens.push({ type: 'eof', value: '', offset: source.length });
  return tokens;
}

/**
 * The expression tokens inside one tag, up to its end (`}}` or `%}`, with an optional `-`/`+`), or
 * up to the end of the source for a bare expression. An end delimiter inside open brackets belongs
 * to the expression (`{{ {'a': {'b': 1}} }}`).
 */
function lexTag(
  source: string,
  from: number,
  tagOffset: number,
  mode: 'variable' | 'block' | 'expression',
  tokens: Token[],
  afterEnd: (endOffset: number, modifier: string) => number,
): number {
  const open: string[] = [];
  const isBlock = mode === 'block';
  let cursor = from;
  for (;;) {
    cursor = skipWhitespace(source, cursor);
    if (cursor >= source.length) {
      if (mode === 'expression' && open.length === 0) return cursor;
      if (mode === 'expression') throw new TemplateError('syntax', `"${open[open.length - 1]}" is missing`, { offset: cursor });
      throw new TemplateError('syntax', `the tag is not closed with "${isBlock ? '%}' : '}}'}"`, { offset: tagOffset });
    }
    if (open.length === 0 && mode !== 'expression') {
      const end = tagEnd(source, cursor, isBlock);
      if (end) {
        tokens.push({ type: isBlock ? 'block_end' : 'variable_end', value: '', offset: cursor });
        return afterEnd(cursor + end.length, end.modifier);
      }
    }
    const char = source[cursor]!;
    if (char === "'" || char === '"') {
      const { value, end } = decodeStringLiteral(source, cursor);
      tokens.push({ type: 'string', value, offset: cursor });
      cursor = end;
      continue;
    }
    if (char >= '0' && char <= '9') {
      cursor = lexNumber(source, cursor, tokens);
      continue;
    }
    namePattern.lastIndex = cursor;
    const name = namePattern.exec(source);
    if (name) {
      tokens.push({ type: 'name', value: name[0], offset: cursor });
      cursor += name[0].length;
      continue;
    }
    const two = source.slice(cursor, cursor + 2);
    const operator = twoCharOperators.has(two) ? two : oneCharOperators.has(char) ? char : undefined;
    if (operator === undefined) throw new TemplateError('syntax', `unexpected character ${JSON.stringify(char)}`, { offset: cursor });
    if (operator in closers) open.push(closers[operator]!);
    else if (operator === ')' || operator === ']' || operator === '}') {
      if (open.pop() !== operator) throw new TemplateError('syntax', `unexpected "${operator}"`, { offset: cursor });
    }
    tokens.push({ type: 'operator', value: operator, offset: cursor });
    cursor += operator.length;
  }
}

function tagEnd(source: string, cursor: number, isBlock: boolean): { length: number; modifier: string } | undefined {
  const close = isBlock ? '%}' : '}}';
  if (source.startsWith(close, cursor)) return { length: 2, modifier: '' };
  const modifier = source[cursor];
  if ((modifier === '-' || (isBlock && modifier === '+')) && source.startsWith(close, cursor + 1)) return { length: 3, modifier };
  return undefined;
}

function lexNumber(source: string, cursor: number, tokens: Token[]): number {
  // After a dot (`items.0.name`) a number is an index, never the start of a float.
  if (source[cursor - 1] !== '.') {
    floatPattern.lastIndex = cursor;
    const float = floatPattern.exec(source);
    if (float) {
      tokens.push({ type: 'float', value: Number(float[0].replace(/_/g, '')), offset: cursor });
      return cursor + float[0].length;
    }
  }
  integerPattern.lastIndex = cursor;
  const integer = integerPattern.exec(source)!;
  const digits = integer[0].replace(/_/g, '');
  const prefix = digits.slice(0, 2).toLowerCase();
  const value = prefix === '0b' ? parseInt(digits.slice(2), 2) : prefix === '0o' ? parseInt(digits.slice(2), 8) : Number(digits);
  tokens.push({ type: 'integer', value, offset: cursor });
  return cursor + integer[0].length;
}

function skipWhitespace(source: string, from: number): number {
  whitespace.lastIndex = from;
  return whitespace.test(source) ? whitespace.lastIndex : from;
}

/** lstrip_blocks: drop the indentation before a tag when only whitespace precedes it on its line. */
function stripLineIndent(text: string, lineStarting: boolean): string {
  const lineStart = text.lastIndexOf('\n') + 1;
  if (lineStart === 0 && !lineStarting) return text;
  const indent = text.slice(lineStart);
  return indent !== '' && indent.trim() === '' ? text.slice(0, lineStart) : text;
}
