/**
 * Python's `fnmatch.fnmatch` on POSIX (case-sensitive): `*`, `?`, `[seq]`, `[!seq]`, the whole
 * string must match. An unclosed `[` is a literal bracket, as in Python.
 */
export function fnmatch(name: string, pattern: string): boolean {
  return new RegExp(`^(?:${translate(pattern)})$`, 's').test(name);
}

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

function translate(pattern: string): string {
  let out = '';
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index]!;
    index += 1;
    if (char === '*') {
      out += '.*';
    } else if (char === '?') {
      out += '.';
    } else if (char === '[') {
      let end = index;
      if (pattern[end] === '!') end += 1;
      if (pattern[end] === ']') end += 1;
      while (end < pattern.length && pattern[end] !== ']') end += 1;
      if (end >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(index, end);
      index = end + 1;
      let negate = false;
      if (body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      const escaped = body.replace(/[\\^\]]/g, '\\$&');
      out += negate ? `[^${escaped}]` : `[${escaped}]`;
    } else {
      out += escapeRegExp(char);
    }
  }
  return out;
}
