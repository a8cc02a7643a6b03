import { TemplateError } from './errors.ts';

const simpleEscapes: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};
const hexLengths: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * Reads the string literal starting at `start` (a quote) and decodes its escapes as Python's
 * unicode-escape codec does, which is what Jinja applies: `\n`, `\t`, `\xhh`, `\uhhhh`,
 * `\Uhhhhhhhh`, octal `\ooo`, and an unknown escape such as `\d` keeps its backslash, so regular
 * expressions written for StackStorm (`regex_match('\d+')`) mean the same here.
 */
export function decodeStringLiteral(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let out = '';
  let cursor = start + 1;
  for (;;) {
    const next = findSpecial(source, cursor, quote!);
    if (next === -1) throw new TemplateError('syntax', 'the string is not closed', { offset: start });
    out += source.slice(cursor, next);
    if (source[next] === quote) return { value: out, end: next + 1 };
    const escape = source[next + 1];
    if (escape === undefined) throw new TemplateError('syntax', 'the string is not closed', { offset: start });
    cursor = next + 2;
    const simple = simpleEscapes[escape];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (escape >= '0' && escape <= '7') {
      const octal = /^[0-7]{1,3}/.exec(source.slice(next + 1, next + 4))![0];
      out += String.fromCodePoint(parseInt(octal, 8));
      cursor = next + 1 + octal.length;
      continue;
    }
    const hexLength = hexLengths[escape];
    if (hexLength !== undefined) {
      const hex = source.slice(cursor, cursor + hexLength);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLength ? parseInt(hex, 16) : Number.NaN;
      if (!(code <= 0x10ffff)) throw new TemplateError('syntax', `the escape "\\${escape}${hex}" is not valid`, { offset: next });
      out += String.fromCodePoint(code);
      cursor += hexLength;
      continue;
    }
    out += `\\${escape}`;
  }
}

function findSpecial(source: string, from: number, quote: string): number {
  const backslash = source.indexOf('\\', from);
  const end = source.indexOf(quote, from);
  if (end === -1) return backslash;
  return backslash !== -1 && backslash < end ? backslash : end;
}
