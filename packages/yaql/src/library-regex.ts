import { lazy } from './collections.ts';
import { makeDict } from './dicts.ts';
import { define, parameter } from './define.ts';
import { types, type FunctionContext, type FunctionDefinition } from './functions.ts';
import { YaqlError } from './errors.ts';
import { pythonList } from './python-values.ts';
import { bounded, compile, matches, matchesPattern } from './regex-engine.ts';
import { replacementTemplate } from './regex-translation.ts';
import { Scope } from './scope.ts';
import { RegexValue, aTypeName, type Lambda } from './values.ts';

/**
 * yaql's regular expression functions: `regex()` objects and their `search`, `searchAll`,
 * `split`, `replace` and `replaceBy` methods, plus the string forms (`'text'.matches(pattern)`).
 * Every operation runs bounded in time (regex-engine.ts). Positions count code points.
 */

const regex = parameter('regexp', types.regex);
const string = (name: string) => parameter(name, types.string);

function patternOf(value: RegexValue): string {
  return value.pattern;
}

function codePointIndex(text: string, index: number): number {
  let count = 0;
  for (let position = 0; position < index; position += 1) {
    const code = text.charCodeAt(position);
    if (code < 0xdc00 || code > 0xdfff) count += 1;
  }
  return count;
}

/** The match as yaql's selectors see it: `$1` (or `$`) the whole match, `$2`... the groups, `$name` named groups. */
function matchScope(match: RegExpExecArray, text: string, context: FunctionContext): Scope {
  const parent = context.scope;
  const scope = new Scope(parent);
  const record = (value: string | undefined, start: number): unknown => {
    if (value === undefined) return makeDict([['value', null], ['start', -1], ['end', -1]], context.meter);
    const from = codePointIndex(text, start);
    return makeDict([['value', value], ['start', from], ['end', codePointIndex(text, start + value.length)]], context.meter);
  };
  const indices = (match as RegExpExecArray & { indices?: [number, number][] }).indices;
  for (let group = 0; group < match.length; group += 1) {
    const start = indices?.[group]?.[0] ?? (group === 0 ? match.index : text.indexOf(match[group] ?? '', match.index));
    scope.set(String(group + 1), record(match[group], start));
  }
  for (const [name, value] of Object.entries(match.groups ?? {})) {
    const group = Object.keys(match.groups ?? {}).indexOf(name);
    scope.set(name, record(value, indices?.[group + 1]?.[0] ?? match.index));
  }
  return scope;
}

function search(value: RegexValue, text: string, selector: Lambda | null, context: FunctionContext): unknown {
  const expression = withIndices(compile(value));
  return bounded(() => {
    expression.lastIndex = 0;
    const match = expression.exec(text);
    if (match === null) return null;
    return selector === null ? match[0] : selector.callInScope(matchScope(match, text, context));
  }, patternOf(value), context.meter);
}

/** A copy of the regex that records group positions (the `d` flag), for match records. */
function withIndices(expression: RegExp): RegExp {
  return expression.hasIndices ? expression : new RegExp(expression.source, `${expression.flags}d`);
}

function searchAll(value: RegexValue, text: string, selector: Lambda | null, context: FunctionContext): unknown {
  const expression = withIndices(compile(value));
  const found = bounded(() => [...matches(expression, text, context.meter)].map((match) =>
    selector === null ? match[0] : selector.callInScope(matchScope(match, text, context)),
  ), patternOf(value), context.meter);
  context.meter.checkCollection(found.length);
  return lazy(() => found[Symbol.iterator]());
}

function split(value: RegexValue, text: string, maxSplit: number, context: FunctionContext): unknown {
  const expression = compile(value);
  return bounded(() => {
    const parts: unknown[] = [];
    let last = 0;
    for (const match of matches(expression, text, context.meter, Math.max(0, maxSplit))) {
      parts.push(text.slice(last, match.index), ...match.slice(1).map((group) => group ?? null));
      context.meter.checkCollection(parts.length);
      last = match.index + match[0].length;
    }
    parts.push(text.slice(last));
    return pythonList(parts);
  }, patternOf(value), context.meter);
}

function substitute(expression: RegExp, pattern: string, text: string, replacement: (match: RegExpExecArray) => string, count: number, context: FunctionContext): string {
  return bounded(() => {
    let out = '';
    let last = 0;
    for (const match of matches(expression, text, context.meter, Math.max(0, count))) {
      out += text.slice(last, match.index) + replacement(match);
      context.meter.checkString(out.length);
      last = match.index + match[0].length;
    }
    return out + text.slice(last);
  }, pattern, context.meter);
}

function replaceWith(value: RegexValue, text: string, template: string, count: number, context: FunctionContext): string {
  return substitute(compile(value), value.pattern, text, replacementTemplate(template), count, context);
}

function replaceBy(value: RegexValue, text: string, selector: Lambda, count: number, context: FunctionContext): string {
  const replacement = (match: RegExpExecArray): string => {
    const result = selector.callInScope(matchScope(match, text, context));
    if (typeof result !== 'string') throw new YaqlError('type', `replaceBy() needs its selector to give a string, not ${aTypeName(result)}`);
    return result;
  };
  return substitute(withIndices(compile(value)), value.pattern, text, replacement, count, context);
}

const pythonSpecial = new Set('()[]{}?*+-|^$\\.&~# \t\n\r\v\f');

export const regexFunctions: FunctionDefinition[] = [
  define(
    'regex',
    'function',
    [string('pattern'), parameter('ignoreCase', types.booleanOrNull, { default: false }), parameter('multiLine', types.booleanOrNull, { default: false }), parameter('dotAll', types.booleanOrNull, { default: false })],
    ([pattern, ignoreCase, multiLine, dotAll]) => {
      const value = new RegexValue(pattern as string, { ignoreCase: ignoreCase === true, multiLine: multiLine === true, dotAll: dotAll === true });
      compile(value);
      return value;
    },
  ),
  define('matches', 'method', [regex, string('string')], ([value, text], context) => matchesPattern(value as RegexValue, text as string, context.meter)),
  define('matches', 'method', [string('string'), string('regexp')], ([text, pattern], context) => matchesPattern(pattern as string, text as string, context.meter)),
  define('search', 'method', [regex, string('string'), parameter('selector', types.lambda, { default: null })], ([value, text, selector], context) =>
    search(value as RegexValue, text as string, selector as Lambda | null, context),
  ),
  define('searchAll', 'method', [regex, string('string'), parameter('selector', types.lambda, { default: null })], ([value, text, selector], context) =>
    searchAll(value as RegexValue, text as string, selector as Lambda | null, context),
  ),
  define('split', 'method', [regex, string('string'), parameter('maxSplit', types.int, { default: 0 })], ([value, text, maxSplit], context) =>
    split(value as RegexValue, text as string, Number(maxSplit), context),
  ),
  define('split', 'method', [string('string'), regex, parameter('maxSplit', types.int, { default: 0 })], ([text, value, maxSplit], context) =>
    split(value as RegexValue, text as string, Number(maxSplit), context),
  ),
  define('replace', 'method', [regex, string('string'), string('repl'), parameter('count', types.int, { default: 0 })], ([value, text, repl, count], context) =>
    replaceWith(value as RegexValue, text as string, repl as string, Number(count), context),
  ),
  define('replace', 'method', [string('string'), regex, string('repl'), parameter('count', types.int, { default: 0 })], ([text, value, repl, count], context) =>
    replaceWith(value as RegexValue, text as string, repl as string, Number(count), context),
  ),
  define('replaceBy', 'method', [regex, string('string'), parameter('repl', types.lambda), parameter('count', types.int, { default: 0 })], ([value, text, repl, count], context) =>
    replaceBy(value as RegexValue, text as string, repl as Lambda, Number(count), context),
  ),
  define('replaceBy', 'method', [string('string'), regex, parameter('repl', types.lambda), parameter('count', types.int, { default: 0 })], ([text, value, repl, count], context) =>
    replaceBy(value as RegexValue, text as string, repl as Lambda, Number(count), context),
  ),
  define('escapeRegex', 'function', [string('string')], ([text]) => Array.from(text as string, (char) => (pythonSpecial.has(char) ? `\\${char}` : char)).join('')),
  define('isRegex', 'function', [parameter('value', types.any)], ([value]) => value instanceof RegexValue),
];
