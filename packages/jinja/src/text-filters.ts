import { bindArguments, type CallArguments } from './arguments.ts';
import { dictEntries, stringCharacters, stringLength } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { pythonPercentFormat } from './python-format.ts';
import { pyFixed, pyJsonDumps, pyRepr, pyStr } from './python-values.ts';
import type { FilterDefinition } from './registry.ts';
import { stringMethods } from './string-methods.ts';
import { aTypeName, isPlainObject } from './template-values.ts';

/** Jinja's built-in filters over strings and numbers, with Jinja's names, arguments and results. */

type TextFilter = (value: unknown, bound: Record<string, unknown>, meter: WorkMeter) => unknown;

/** A filter whose arguments bind to Jinja's parameter names. */
function filter(name: string, parameters: readonly string[], body: TextFilter): [string, FilterDefinition] {
  return [name, { call: (value, args, context) => body(value, bindArguments(name, args, parameters), context.meter) }];
}

const callStringMethod = (method: string, text: string, positional: unknown[], meter: WorkMeter): unknown =>
  stringMethods.get(method)!(text, { positional, keywords: Object.create(null) as Record<string, unknown> }, meter);

function number(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  throw new TemplateError('type', `${what} needs a number, not ${aTypeName(value)}`);
}

const pythonFloat = /^[+-]?(?:\d(?:_?\d)*\.?(?:\d(?:_?\d)*)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;

/** Python's float(text), or undefined where it would raise. */
function parseFloatText(text: string): number | undefined {
  const trimmed = text.trim();
  if (pythonFloat.test(trimmed)) return Number(trimmed.replace(/_/g, ''));
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/** Python's int(text, base), or undefined where it would raise. */
function parseIntText(text: string, base: number): number | undefined {
  let digits = text.trim().replace(/_/g, '');
  let sign = 1;
  if (digits.startsWith('-') || digits.startsWith('+')) {
    sign = digits.startsWith('-') ? -1 : 1;
    digits = digits.slice(1);
  }
  const prefixes: Record<number, string> = { 16: '0x', 8: '0o', 2: '0b' };
  const prefix = prefixes[base];
  if (prefix !== undefined && digits.toLowerCase().startsWith(prefix)) digits = digits.slice(2);
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (digits === '' || ![...digits.toLowerCase()].every((char) => alphabet.includes(char))) return undefined;
  return sign * parseInt(digits, base);
}

function toInt(value: unknown, fallback: unknown, base: number): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : fallback;
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'string') {
    const parsed = parseIntText(value, base);
    if (parsed !== undefined) return parsed;
    if (base !== 10) return fallback;
    const float = parseFloatText(value);
    return float !== undefined && Number.isFinite(float) ? Math.trunc(float) : fallback;
  }
  return fallback;
}

/** Python 3's round(): from the exact binary value, ties to the even neighbour. */
function roundHalfEven(value: number, precision: number): number {
  if (precision < 0) {
    const factor = 10 ** -precision;
    return Number(pyFixed(value / factor, 0)) * factor;
  }
  return Number(pyFixed(value, Math.min(precision, 100)));
}

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => htmlEscapes[char]!);

/** Python's urllib.parse.quote: unreserved characters and `safe` stay, the rest is %-encoded UTF-8. */
function urlQuote(text: string, safe: string, plusForSpace: boolean): string {
  let out = '';
  for (const char of text) {
    if (/[A-Za-z0-9_.\-~]/.test(char) || safe.includes(char)) out += char;
    else if (plusForSpace && char === ' ') out += '+';
    else out += [...new TextEncoder().encode(char)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

function wrapLine(line: string, width: number, breakLongWords: boolean, breakOnHyphens: boolean): string[] {
  const words = line.split(/\s+/).filter((word) => word !== '').flatMap((word) => (breakOnHyphens ? word.split(/(?<=-)(?=[^-])/) : [word]));
  const lines: string[] = [];
  let current = '';
  const flush = (): void => {
    if (current !== '') lines.push(current);
    current = '';
  };
  for (let word of words) {
    const separator = current === '' || current.endsWith('-') ? '' : ' ';
    if (current.length + separator.length + word.length <= width) {
      current += separator + word;
      continue;
    }
    flush();
    while (breakLongWords && word.length > width) {
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    current = word;
  }
  flush();
  return lines;
}

export const textFilters: [string, FilterDefinition][] = [
  filter('abs', [], (value) => Math.abs(number(value, 'abs'))),
  filter('capitalize', [], (value, _bound, meter) => callStringMethod('capitalize', pyStr(value, meter), [], meter)),
  filter('center', ['width'], (value, bound, meter) => callStringMethod('center', pyStr(value, meter), [bound['width'] ?? 80], meter)),
  filter('escape', [], (value, _bound, meter) => escapeHtml(pyStr(value, meter))),
  filter('e', [], (value, _bound, meter) => escapeHtml(pyStr(value, meter))),
  filter('forceescape', [], (value, _bound, meter) => escapeHtml(pyStr(value, meter))),
  filter('safe', [], (value, _bound, meter) => pyStr(value, meter)),
  filter('lower', [], (value, _bound, meter) => pyStr(value, meter).toLowerCase()),
  filter('upper', [], (value, _bound, meter) => pyStr(value, meter).toUpperCase()),
  // Jinja's title, not str.title: words begin after whitespace, '-' and opening brackets only.
  filter('title', [], (value, _bound, meter) =>
    pyStr(value, meter)
      .split(/([-\s({[<]+)/)
      .map((part) => (part === '' ? part : part[0]!.toUpperCase() + part.slice(1).toLowerCase()))
      .join(''),
  ),
  filter('trim', ['chars'], (value, bound, meter) => callStringMethod('strip', pyStr(value, meter), [bound['chars'] ?? null], meter)),
  filter('string', [], (value, _bound, meter) => pyStr(value, meter)),
  filter('pprint', [], (value, _bound, meter) => pyRepr(value, meter)),
  filter('wordcount', [], (value, _bound, meter) => (pyStr(value, meter).match(/[\p{L}\p{N}_]+/gu) ?? []).length),
  filter('replace', ['old', 'new', 'count'], (value, bound, meter) =>
    callStringMethod('replace', pyStr(value, meter), [pyStr(bound['old'], meter), pyStr(bound['new'], meter), bound['count'] ?? -1], meter),
  ),
  filter('striptags', [], (value, _bound, meter) =>
    pyStr(value, meter)
      .replace(/<!--[\s\S]*?-->|<[^>]*>/g, '')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/&(amp|lt|gt|quot|#34|#39);/g, (_all, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#34': '"', '#39': "'" })[entity]!),
  ),
  filter('truncate', ['length', 'killwords', 'end', 'leeway'], (value, bound, meter) => {
    const text = pyStr(value, meter);
    const length = number(bound['length'] ?? 255, 'truncate length');
    const end = pyStr(bound['end'] ?? '...', meter);
    const leeway = number(bound['leeway'] ?? 5, 'truncate leeway');
    if (length < end.length || leeway < 0) throw new TemplateError('type', 'truncate: length must be at least the length of end, and leeway not negative');
    if (stringLength(text) <= length + leeway) return text;
    const kept = stringCharacters(text).slice(0, length - end.length).join('');
    return (bound['killwords'] === true ? kept : kept.replace(/ [^ ]*$/, '')) + end;
  }),
  filter('indent', ['width', 'first', 'blank'], (value, bound, meter) => {
    const width = bound['width'] ?? 4;
    const indentation = typeof width === 'string' ? width : ' '.repeat(Math.max(0, Math.min(number(width, 'indent width'), meter.limits.maxStringLength)));
    const lines = `${pyStr(value, meter)}\n`.split('\n').slice(0, -1);
    meter.checkString(lines.length * indentation.length + pyStr(value, meter).length);
    const indented = lines.map((line, index) => (index === 0 || (line === '' && bound['blank'] !== true) ? line : indentation + line));
    return (bound['first'] === true ? indentation : '') + indented.join('\n');
  }),
  filter('wordwrap', ['width', 'break_long_words', 'wrapstring', 'break_on_hyphens'], (value, bound, meter) => {
    const width = Math.max(1, number(bound['width'] ?? 79, 'wordwrap width'));
    const wrapstring = bound['wrapstring'] === undefined || bound['wrapstring'] === null ? '\n' : pyStr(bound['wrapstring'], meter);
    const text = pyStr(value, meter);
    meter.step(Math.ceil(text.length / 16));
    const wrapped = text
      .split(/\r\n|\n|\r/)
      .map((line) => wrapLine(line, width, bound['break_long_words'] !== false, bound['break_on_hyphens'] !== false).join(wrapstring))
      .join(wrapstring);
    meter.checkString(wrapped.length);
    return wrapped;
  }),
  filter('filesizeformat', ['binary'], (value, bound) => {
    const bytes = typeof value === 'string' ? (parseFloatText(value) ?? Number.NaN) : number(value, 'filesizeformat');
    if (Number.isNaN(bytes)) throw new TemplateError('type', 'filesizeformat needs a number or a numeric string');
    const binary = bound['binary'] === true;
    const base = binary ? 1024 : 1000;
    const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (bytes === 1) return '1 Byte';
    if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
    let unit = base;
    let prefix = prefixes[0]!;
    for (const [index, candidate] of prefixes.entries()) {
      unit = base ** (index + 2);
      prefix = candidate;
      if (bytes < unit) break;
    }
    return `${((base * bytes) / unit).toFixed(1)} ${prefix}`;
  }),
  filter('float', ['default'], (value, bound) => {
    if (typeof value === 'number') return value;
    if (typeof value === 'boolean') return Number(value);
    const parsed = typeof value === 'string' ? parseFloatText(value) : undefined;
    return parsed ?? bound['default'] ?? 0;
  }),
  filter('int', ['default', 'base'], (value, bound) => toInt(value, bound['default'] ?? 0, number(bound['base'] ?? 10, 'int base'))),
  filter('round', ['precision', 'method'], (value, bound) => {
    const amount = number(value, 'round');
    const precision = number(bound['precision'] ?? 0, 'round precision');
    const factor = 10 ** precision;
    switch (bound['method'] ?? 'common') {
      case 'common': return roundHalfEven(amount, precision);
      case 'ceil': return Math.ceil(amount * factor) / factor;
      case 'floor': return Math.floor(amount * factor) / factor;
      default: throw new TemplateError('type', 'round: method must be common, ceil or floor');
    }
  }),
  filter('tojson', ['indent'], (value, bound, meter) =>
    pyJsonDumps(value, { sortKeys: true, indent: typeof bound['indent'] === 'number' ? bound['indent'] : null }, meter)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/'/g, '\\u0027'),
  ),
  filter('urlencode', [], (value, _bound, meter) => {
    if (typeof value === 'string') return urlQuote(value, '/', false);
    const pairs = isPlainObject(value) ? dictEntries(value) : Array.isArray(value) ? (value as unknown[]) : undefined;
    if (pairs === undefined) return urlQuote(pyStr(value, meter), '/', false);
    return pairs
      .map((pair) => {
        if (!Array.isArray(pair) || pair.length !== 2) throw new TemplateError('type', 'urlencode needs a string, a dict or a list of pairs');
        return `${urlQuote(pyStr(pair[0], meter), '', true)}=${urlQuote(pyStr(pair[1], meter), '', true)}`;
      })
      .join('&');
  }),
  [
    'format',
    {
      call: (value: unknown, args: CallArguments, context) => {
        const keywords = Object.keys(args.keywords);
        if (keywords.length > 0 && args.positional.length > 0) throw new TemplateError('type', "format can't handle positional and keyword arguments at the same time");
        return pythonPercentFormat(pyStr(value, context.meter), keywords.length > 0 ? [{ ...args.keywords }] : args.positional, context.meter);
      },
    },
  ],
];
