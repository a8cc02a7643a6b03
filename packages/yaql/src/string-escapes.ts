import { YaqlError } from './errors.ts';

/**
 * The escapes yaql decodes in quoted strings (Python's unicode-escape codec applied to each escape
 * sequence): `\n`, `\t`..., `\xHH`, `\uHHHH`, `\UHHHHHHHH`, octal `\NNN`, `\\`, `\'`, `\"`. Any other
 * backslash stays as written, so a regular expression's `\d` reaches `regex()` unchanged.
 * `\N{name}` needs Unicode's name table, which this engine does not carry: it is a syntax error.
 */
// `[^\n]` where Python's pattern has `.`, which there excludes only the newline.
const escapeSequence = /\\(?:U([^\n]{8})|u([^\n]{4})|x([^\n]{2})|([0-7]{1,3})|N\{[^}]+\}|([\\'"abfnrtv]))/gu;

const single = new Map([['\\', '\\'], ["'", "'"], ['"', '"'], ['a', '\x07'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t'], ['v', '\v']]);

export function decodeEscapes(text: string, offset: number): string {
  if (!text.includes('\\')) return text;
  return text.replace(escapeSequence, (match: string, long?: string, short?: string, byte?: string, octal?: string, simple?: string) => {
    if (simple !== undefined) return single.get(simple)!;
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8));
    const hex = long ?? short ?? byte;
    if (hex === undefined) throw new YaqlError('syntax', `the escape ${match} (a character by name) is not supported`, { offset });
    if (!/^[0-9a-fA-F]+$/.test(hex)) throw new YaqlError('syntax', `the escape ${match} is not valid: it needs ${hex.length} hexadecimal digits`, { offset });
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new YaqlError('syntax', `the escape ${match} is beyond Unicode`, { offset });
    return String.fromCodePoint(code);
  });
}
