import { PythonTypeError } from './python-values.ts';

/**
 * Compiles a Python `re` pattern into a JavaScript RegExp with the same meaning for the syntax rule
 * authors use: named groups `(?P<name>...)` and back-references `(?P=name)`, leading inline flags
 * `(?i)`/`(?s)`/`(?m)`, `\A` and `\Z`, and Python's `$` (end, or before a final newline). Syntax
 * JavaScript cannot express (verbose mode, scoped flags) raises, and the criterion does not match.
 */
export function compilePythonRegex(pattern: string, options: { ignoreCase?: boolean; dotAll?: boolean; sticky?: boolean } = {}): RegExp {
  const flags = new Set<string>();
  if (options.ignoreCase) flags.add('i');
  if (options.dotAll) flags.add('s');
  let rest = pattern;
  for (let leading = /^\(\?([aiLmsux]+)\)/.exec(rest); leading; leading = /^\(\?([aiLmsux]+)\)/.exec(rest)) {
    for (const flag of leading[1]!) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags.add(flag);
      else if (flag === 'x' || flag === 'L') throw new PythonTypeError(`regex flag (?${flag}) is not supported`);
    }
    rest = rest.slice(leading[0].length);
  }
  if (options.sticky) flags.add('y');
  try {
    return new RegExp(translate(rest, flags.has('m')), [...flags].join(''));
  } catch (error) {
    throw new PythonTypeError(`invalid regular expression "${pattern}": ${(error as Error).message}`);
  }
}

function translate(source: string, multiline: boolean): string {
  let out = '';
  let inClass = false;
  for (let index = 0; index < source.length; index += 1) {
    const char = source[index]!;
    if (char === '\\') {
      const next = source[index + 1];
      index += 1;
      if (next === undefined) throw new PythonTypeError('bad escape (end of pattern)');
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      out += char;
      continue;
    }
    if (char === '[') {
      inClass = true;
      out += char;
      // A `]` right after `[` or `[^` is a literal in Python; JavaScript needs it escaped.
      if (source[index + 1] === '^') {
        out += '^';
        index += 1;
      }
      if (source[index + 1] === ']') {
        out += '\\]';
        index += 1;
      }
      continue;
    }
    if (source.startsWith('(?P<', index)) {
      out += '(?<';
      index += 3;
      continue;
    }
    const backReference = /^\(\?P=(\w+)\)/.exec(source.slice(index));
    if (backReference) {
      out += `\\k<${backReference[1]}>`;
      index += backReference[0].length - 1;
      continue;
    }
    if (char === '$' && !multiline) {
      out += '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    out += char;
  }
  return out;
}
