import { YaqlError } from './errors.ts';
import { decodeEscapes } from './string-escapes.ts';
import { float } from './values.ts';

/**
 * Splits an expression into tokens as yaql's lexer does, trying at each position, in this order:
 * `$name`, a number, a name followed at once by `(` (a function call), a bare name (a keyword
 * string, `true`/`false`/`null`, or a word operator), a quoted string, then operators longest
 * first. The order matters: `not(x)` is a call of a function named `not`, `1a` is an error, and
 * a name may not start with two underscores unless it is called.
 */

export type Token =
  | { type: 'number'; value: unknown; start: number; end: number }
  | { type: 'string'; value: string; start: number; end: number }
  /** A bare name: yaql reads it as the string it spells (`ctx(foo)` is `ctx('foo')`). */
  | { type: 'keyword'; value: string; start: number; end: number }
  | { type: 'constant'; value: boolean | null; start: number; end: number }
  /** A name and the `(` that follows it. */
  | { type: 'function'; value: string; start: number; end: number }
  /** `$`, `$name`, `$1`; value is the name without the dollar. */
  | { type: 'variable'; value: string; start: number; end: number }
  | { type: 'operator'; value: string; start: number; end: number }
  | { type: 'punctuation'; value: string; start: number; end: number }
  | { type: 'end'; value: ''; start: number; end: number };

const word = /[\p{L}\p{N}_]/u;
const variable = /\$[\p{L}\p{N}_]*/uy;
const numberPattern = /[0-9]+(?:\.?[0-9]+)?(?![\p{L}\p{N}_])/uy;
const namePattern = /[\p{L}_][\p{L}\p{N}_]*/uy;
const wordOperators = new Set(['and', 'or', 'not', 'in', 'mod']);
// Maps, not object literals: a name like `constructor` must not find an inherited property.
const constants = new Map<string, boolean | null>([['true', true], ['false', false], ['null', null]]);
/** Symbol operators, longest first, as yaql's lexer orders them. */
const symbols = ['?.', '->', '=~', '!~', '=>', '>=', '<=', '!=', '*', '+', '-', '.', '[', '/', '=', '>', '<', '{'];
const punctuation = new Set(['(', ')', ']', ',', '}']);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (true) {
    while (position < source.length && ' \t\r\n'.includes(source[position]!)) position += 1;
    if (position >= source.length) break;
    const token = readToken(source, position);
    tokens.push(token);
    position = token.end;
  }
  tokens.push({ type: 'end', value: '', start: source.length, end: source.length });
  return tokens;
}

function readToken(source: string, start: number): Token {
  const char = source[start]!;
  if (char === '$') {
    variable.lastIndex = start;
    const match = variable.exec(source)!;
    return { type: 'variable', value: match[0].slice(1), start, end: start + match[0].length };
  }
  const atWordStart = start === 0 || !word.test(source[start - 1]!);
  if (atWordStart && char >= '0' && char <= '9') {
    numberPattern.lastIndex = start;
    const match = numberPattern.exec(source);
    if (match) {
      const text = match[0];
      return { type: 'number', value: text.includes('.') ? float(Number(text)) : Number(text), start, end: start + text.length };
    }
  }
  if (atWordStart) {
    namePattern.lastIndex = start;
    const match = namePattern.exec(source);
    if (match) {
      const name = match[0];
      const end = start + name.length;
      if (source[end] === '(') return { type: 'function', value: name, start, end: end + 1 };
      if (!name.startsWith('__')) {
        if (wordOperators.has(name)) return { type: 'operator', value: name, start, end };
        if (constants.has(name)) return { type: 'constant', value: constants.get(name)!, start, end };
        return { type: 'keyword', value: name, start, end };
      }
    }
  }
  if (char === "'" || char === '"' || char === '`') {
    const end = closingQuote(source, start);
    if (end !== undefined) {
      const raw = source.slice(start + 1, end);
      const value = char === '`' ? raw.replaceAll('\\`', '`') : decodeEscapes(raw, start);
      return { type: 'string', value, start, end: end + 1 };
    }
  }
  for (const symbol of symbols) {
    if (source.startsWith(symbol, start)) return { type: 'operator', value: symbol, start, end: start + symbol.length };
  }
  if (punctuation.has(char)) return { type: 'punctuation', value: char, start, end: start + 1 };
  throw new YaqlError('syntax', `Lexical error: illegal character '${String.fromCodePoint(source.codePointAt(start)!)}'`, { offset: start });
}

/** The index of the quote closing the string that opens at `start`; a backslash escapes any character but a newline. */
function closingQuote(source: string, start: number): number | undefined {
  const quote = source[start];
  for (let index = start + 1; index < source.length; index += 1) {
    const char = source[index];
    if (char === '\\') {
      if (index + 1 >= source.length || source[index + 1] === '\n') return undefined;
      index += 1;
    } else if (char === quote) {
      return index;
    }
  }
  return undefined;
}
