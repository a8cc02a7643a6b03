import { iterate } from './collections.ts';
import { dictItems, type Dict } from './dicts.ts';
import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionContext, type FunctionDefinition } from './functions.ts';
import { find, replace, rightSplit, split, strip } from './python-strings.ts';
import { pythonList, yaqlStr } from './python-values.ts';
import { codePoints, pyLength, unitIndex } from './text.ts';
import { isInteger, numberValue } from './values.ts';

/** yaql's string functions. */

const string = (name: string) => parameter(name, types.string);

function joined(items: Iterable<unknown>, separator: string, context: FunctionContext): string {
  let length = 0;
  const parts: string[] = [];
  for (const item of items) {
    const text = yaqlStr(item, context.meter);
    length += text.length + separator.length;
    context.meter.checkString(length);
    parts.push(text);
  }
  return parts.join(separator);
}

/** `string[start:start + length]` with Python's slice rules; a negative length means to the end. */
function substring(text: string, start: number, length: number): string {
  const size = pyLength(text);
  const from = start < 0 ? start + size : start;
  const to = from + (length < 0 ? size : length);
  const clamp = (index: number): number => (index < 0 ? Math.max(0, index + size) : Math.min(index, size));
  const [begin, end] = [clamp(from), clamp(to)];
  return end <= begin ? '' : text.slice(unitIndex(text, begin), unitIndex(text, end));
}

/** The parts of a split, as the Python list split() returns, charged for and within the collection limit. */
function pieces(parts: string[], context: FunctionContext): string[] {
  context.meter.step(parts.length);
  context.meter.checkCollection(parts.length);
  return pythonList(parts);
}

export const stringFunctions: FunctionDefinition[] = [
  define('len', 'extension', [string('string')], ([text]) => pyLength(text as string)),
  define('toUpper', 'method', [string('string')], ([text]) => (text as string).toUpperCase()),
  define('toLower', 'method', [string('string')], ([text]) => (text as string).toLowerCase()),
  define(
    'split',
    'method',
    [string('string'), parameter('separator', types.stringOrNull, { default: null }), parameter('maxSplits', types.int, { default: -1 })],
    ([text, separator, maxSplits], context) => pieces(split(text as string, separator as string | null, Number(maxSplits)), context),
  ),
  define(
    'rightSplit',
    'method',
    [string('string'), parameter('separator', types.stringOrNull, { default: null }), parameter('maxSplits', types.int, { default: -1 })],
    ([text, separator, maxSplits], context) => pieces(rightSplit(text as string, separator as string | null, Number(maxSplits)), context),
  ),
  define('join', 'method', [parameter('sequence', types.iterable), string('separator')], ([sequence, separator], context) =>
    joined(iterate(sequence, context.meter), separator as string, context),
  ),
  define('join', 'method', [string('separator'), parameter('sequence', types.iterable)], ([separator, sequence], context) =>
    joined(iterate(sequence, context.meter), separator as string, context),
  ),
  define('str', 'function', [parameter('value', types.any)], ([value], context) => yaqlStr(value, context.meter)),
  define('concat', 'function', [], (args, context) => joined(args, '', context), { rest: string('args') }),
  define('trim', 'method', [string('string'), parameter('chars', types.stringOrNull, { default: null })], ([text, chars]) =>
    strip(text as string, chars as string | null, true, true),
  ),
  define('trimLeft', 'method', [string('string'), parameter('chars', types.stringOrNull, { default: null })], ([text, chars]) =>
    strip(text as string, chars as string | null, true, false),
  ),
  define('trimRight', 'method', [string('string'), parameter('chars', types.stringOrNull, { default: null })], ([text, chars]) =>
    strip(text as string, chars as string | null, false, true),
  ),
  define('norm', 'extension', [parameter('string', types.stringOrNull), parameter('chars', types.stringOrNull, { default: null })], ([text, chars]) => {
    if (text === null) return null;
    const value = strip(text as string, chars as string | null, true, true);
    return value === '' ? null : value;
  }),
  define(
    'isEmpty',
    'extension',
    [parameter('string', types.stringOrNull), parameter('trim', types.boolean, { default: true }), parameter('chars', types.stringOrNull, { default: null })],
    ([text, trim, chars]) => text === null || (trim ? strip(text as string, chars as string | null, true, true) : (text as string)) === '',
  ),
  define(
    'replace',
    'method',
    [string('string'), string('old'), string('new'), parameter('count', types.int, { default: -1 })],
    ([text, old, replacement, count], context) => {
      const result = replace(text as string, old as string, replacement as string, Number(count));
      context.meter.checkString(result.length);
      return result;
    },
  ),
  define('replace', 'method', [string('string'), parameter('replacements', types.dict), parameter('count', types.int, { default: -1 })], ([text, replacements, count], context) => {
    let result = text as string;
    for (const [key, value] of dictItems(replacements as Dict)) {
      result = replace(result, yaqlStr(key, context.meter), yaqlStr(value, context.meter), Number(count));
      context.meter.checkString(result.length);
    }
    return result;
  }),
  define('substring', 'method', [string('string'), parameter('start', types.int), parameter('length', types.int, { default: -1 })], ([text, start, length]) =>
    substring(text as string, Number(start), Number(length)),
  ),
  define('indexOf', 'method', [string('string'), string('sub'), parameter('start', types.int, { default: 0 })], ([text, sub, start]) =>
    find(text as string, sub as string, Number(start), undefined, false),
  ),
  define('indexOf', 'method', [string('string'), string('sub'), parameter('start', types.int), parameter('length', types.int)], ([text, sub, start, length]) =>
    findRange(text as string, sub as string, Number(start), Number(length), false),
  ),
  define('lastIndexOf', 'method', [string('string'), string('sub'), parameter('start', types.int, { default: 0 })], ([text, sub, start]) =>
    find(text as string, sub as string, Number(start), undefined, true),
  ),
  define('lastIndexOf', 'method', [string('string'), string('sub'), parameter('start', types.int), parameter('length', types.int)], ([text, sub, start, length]) =>
    findRange(text as string, sub as string, Number(start), Number(length), true),
  ),
  define('toCharArray', 'method', [string('string')], ([text], context) => {
    context.meter.checkCollection(pyLength(text as string));
    return codePoints(text as string);
  }),
  define('isString', 'function', [parameter('arg', types.any)], ([value]) => typeof value === 'string'),
  define('startsWith', 'method', [string('string')], ([text, ...prefixes]) => prefixes.some((prefix) => (text as string).startsWith(prefix as string)), {
    rest: string('prefixes'),
  }),
  define('endsWith', 'method', [string('string')], ([text, ...suffixes]) => suffixes.some((suffix) => (text as string).endsWith(suffix as string)), {
    rest: string('suffixes'),
  }),
  define('hex', 'function', [parameter('num', types.numberOrNull)], ([value]) => {
    if (value === null || !isInteger(value)) throw new YaqlError('type', `hex() needs an integer, not ${value === null ? 'null' : 'a float'}`);
    const number = numberValue(value);
    return `${number < 0 ? '-' : ''}0x${Math.abs(number).toString(16)}`;
  }),
];

function findRange(text: string, sub: string, start: number, length: number, fromRight: boolean): number {
  const size = pyLength(text);
  const from = start < 0 ? start + size : start;
  const count = length < 0 ? size - from : length;
  return find(text, sub, from, from + count, fromRight);
}
