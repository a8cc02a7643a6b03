import { YaqlError } from './errors.ts';

/**
 * Python `re` patterns in JavaScript's engine. yaql hands patterns to Python, so workflows write
 * them for Python; this rewrites what differs so they match the same text: named groups
 * `(?P<n>...)` and `(?P=n)`, anchors `\A` and `\Z`, `$` (which in Python also matches before a
 * final newline), `.` (which in Python excludes only `\n`), Unicode `\d` and `\w`, leading inline
 * flags `(?ims)`, comments `(?#...)`, escapes of punctuation and `{` that is not a quantifier. A
 * construct JavaScript lacks (atomic groups, possessive quantifiers, verbose mode) is refused.
 */

interface PatternFlags {
  ignoreCase: boolean;
  multiLine: boolean;
  dotAll: boolean;
}

const syntaxCharacters = new Set('^$\\.*+?()[]{}|/');
const quantifierBraces = /^\{\d+(,\d*)?\}|^\{,\d+\}/;

export function translatePattern(pattern: string, given: PatternFlags): { source: string; flags: string } {
  const flags = { ...given };
  let index = 0;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (inline) {
    for (const flag of inline[1]!) {
      if (flag === 'i') flags.ignoreCase = true;
      else if (flag === 'm') flags.multiLine = true;
      else if (flag === 's') flags.dotAll = true;
      else if (flag === 'x') throw unsupported(pattern, 'verbose mode (?x)');
    }
    index = inline[0].length;
  }
  let out = '';
  let inClass = false;
  while (index < pattern.length) {
    const char = pattern[index]!;
    if (char === '\\') {
      const next = pattern[index + 1];
      if (next === undefined) throw invalid(pattern, 'it ends with a backslash');
      out += translateEscape(next, inClass, pattern);
      index += 2;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      out += char;
      index += 1;
      continue;
    }
    if (char === '[') {
      inClass = true;
      out += char;
      index += 1;
      if (pattern[index] === '^') {
        out += '^';
        index += 1;
      }
      // A `]` first in a class is a literal in Python.
      if (pattern[index] === ']') {
        out += '\\]';
        index += 1;
      }
      continue;
    }
    if (char === '(' && pattern.startsWith('(?', index)) {
      const rest = pattern.slice(index);
      const named = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      const backReference = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
      const comment = /^\(\?#[^)]*\)/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        index += named[0].length;
      } else if (backReference) {
        out += `\\k<${backReference[1]}>`;
        index += backReference[0].length;
      } else if (comment) {
        index += comment[0].length;
      } else if (rest.startsWith('(?>')) {
        throw unsupported(pattern, 'atomic groups (?>...)');
      } else {
        out += '(?';
        index += 2;
      }
      continue;
    }
    if ((char === '+' || char === '*' || char === '?' || char === '}') && pattern[index + 1] === '+' && index > 0) {
      throw unsupported(pattern, 'possessive quantifiers');
    }
    if (char === '{') {
      const quantifier = quantifierBraces.exec(pattern.slice(index));
      if (quantifier && index > 0) {
        out += quantifier[0].startsWith('{,') ? `{0${quantifier[0].slice(1)}` : quantifier[0];
        index += quantifier[0].length;
      } else {
        out += '\\{';
        index += 1;
      }
      continue;
    }
    if (char === '}') out += '\\}';
    else if (char === '$' && !flags.multiLine) out += '(?=\\n?(?![\\s\\S]))';
    else if (char === '.' && !flags.dotAll) out += '[^\\n]';
    else if (char === '.') out += '[\\s\\S]';
    else out += char;
    index += 1;
  }
  return { source: out, flags: `u${flags.ignoreCase ? 'i' : ''}${flags.multiLine ? 'm' : ''}` };
}

function translateEscape(next: string, inClass: boolean, pattern: string): string {
  switch (next) {
    case 'A':
      if (inClass) throw invalid(pattern, '\\A cannot be in a character class');
      return '(?<![\\s\\S])';
    case 'Z':
      if (inClass) throw invalid(pattern, '\\Z cannot be in a character class');
      return '(?![\\s\\S])';
    case 'd':
      return '\\p{Nd}';
    case 'w':
      return inClass ? '\\p{L}\\p{N}_' : '[\\p{L}\\p{N}_]';
    default:
      break;
  }
  if (/[0-9a-zA-Z]/.test(next)) {
    if ('bBDsSWfnrtvx0123456789ukpP'.includes(next)) return `\\${next}`;
    throw invalid(pattern, `the escape \\${next} is not known`);
  }
  if (syntaxCharacters.has(next) || (inClass && next === '-')) return `\\${next}`;
  return next;
}

function invalid(pattern: string, why: string): YaqlError {
  return new YaqlError('value', `the regular expression ${JSON.stringify(pattern)} is not valid: ${why}`);
}

function unsupported(pattern: string, what: string): YaqlError {
  return new YaqlError('value', `the regular expression ${JSON.stringify(pattern)} uses ${what}, which this engine does not support`);
}

/**
 * Python's replacement template (`\1`, `\g<1>`, `\g<name>`, `\n` and the other string escapes) as
 * a function of a match.
 */
export function replacementTemplate(template: string): (match: RegExpExecArray) => string {
  const parts: (string | number | { name: string })[] = [];
  let literal = '';
  for (let index = 0; index < template.length; index += 1) {
    const char = template[index]!;
    if (char !== '\\') {
      literal += char;
      continue;
    }
    const next = template[index + 1];
    index += 1;
    const group = next === 'g' ? /^g<([^>]+)>/.exec(template.slice(index)) : null;
    const digits = next !== undefined && /[0-9]/.test(next) ? /^[0-9]{1,2}/.exec(template.slice(index)) : null;
    if (group || digits) {
      parts.push(literal);
      literal = '';
      const reference = group ? group[1]! : digits![0];
      parts.push(/^\d+$/.test(reference) ? Number(reference) : { name: reference });
      index += (group ? group[0] : digits![0]).length - 1;
    } else if (next !== undefined && templateEscapes.has(next)) {
      literal += templateEscapes.get(next)!;
    } else if (next !== undefined && /[A-Za-z]/.test(next)) {
      throw new YaqlError('value', `bad escape \\${next} in the replacement ${JSON.stringify(template)}`);
    } else {
      literal += `\\${next ?? ''}`;
    }
  }
  parts.push(literal);
  return (match) =>
    parts
      .map((part) => {
        if (typeof part === 'string') return part;
        if (typeof part === 'number') {
          if (part >= match.length) throw new YaqlError('value', `invalid group reference ${part} in the replacement`);
          return match[part] ?? '';
        }
        const groups = match.groups ?? {};
        if (!Object.hasOwn(groups, part.name)) throw new YaqlError('value', `unknown group name '${part.name}' in the replacement`);
        return groups[part.name] ?? '';
      })
      .join('');
}

const templateEscapes = new Map([['n', '\n'], ['t', '\t'], ['r', '\r'], ['f', '\f'], ['v', '\v'], ['a', '\x07'], ['b', '\b'], ['\\', '\\']]);
