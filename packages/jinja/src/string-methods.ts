import { bindArguments, type CallArguments } from './arguments.ts';
import { stringCharacters, stringLength } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { pythonStrFormat } from './str-format.ts';
import { aTypeName, tuple } from './template-values.ts';

/**
 * The Python `str` methods templates may call (`name.strip().lower()`, `','.join(tags)`,
 * `'{}-{}'.format(a, b)`). Strings are immutable, so every method returns a new value.
 */
type StringMethod = (text: string, args: CallArguments, meter: WorkMeter) => unknown;

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TemplateError('type', `${what} must be a string, not ${aTypeName(value)}`);
  return value;
}

function optionalText(value: unknown, what: string): string | undefined {
  return value === undefined || value === null ? undefined : text(value, what);
}

function integer(value: unknown, what: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'boolean') return Number(value);
  throw new TemplateError('type', `${what} must be an integer, not ${aTypeName(value)}`);
}

const isSpace = (char: string): boolean => /\s/.test(char);

function strip(value: string, chars: string | undefined, left: boolean, right: boolean): string {
  const characters = stringCharacters(value);
  const remove = chars === undefined ? isSpace : (char: string) => chars.includes(char);
  let start = 0;
  let end = characters.length;
  if (left) while (start < end && remove(characters[start]!)) start += 1;
  if (right) while (end > start && remove(characters[end - 1]!)) end -= 1;
  return characters.slice(start, end).join('');
}

/** Python's str.split / str.rsplit. */
function split(value: string, separator: string | undefined, maxsplit: number, fromRight: boolean): string[] {
  if (separator === '') throw new TemplateError('type', 'split: empty separator');
  const limit = maxsplit < 0 ? Infinity : maxsplit;
  if (separator !== undefined) {
    const parts = value.split(separator);
    if (parts.length - 1 <= limit) return parts;
    return fromRight
      ? [parts.slice(0, parts.length - limit).join(separator), ...parts.slice(parts.length - limit)]
      : [...parts.slice(0, limit), parts.slice(limit).join(separator)];
  }
  const words: string[] = [];
  if (!fromRight) {
    let rest = value.replace(/^\s+/, '');
    while (rest !== '') {
      if (words.length === limit) {
        words.push(rest);
        break;
      }
      const match = /\s+/.exec(rest);
      words.push(match ? rest.slice(0, match.index) : rest);
      rest = match ? rest.slice(match.index + match[0].length) : '';
    }
    return words;
  }
  let rest = value.replace(/\s+$/, '');
  while (rest !== '') {
    if (words.length === limit) {
      words.unshift(rest);
      break;
    }
    const match = /\s+(?=\S*$)/.exec(rest);
    words.unshift(match ? rest.slice(match.index + match[0].length) : rest);
    rest = match ? rest.slice(0, match.index) : '';
  }
  return words;
}

function pad(value: string, args: CallArguments, meter: WorkMeter, name: string, place: (padding: number, fill: string, width: number) => string): string {
  const bound = bindArguments(`str.${name}`, args, ['width', 'fillchar']);
  const width = integer(bound['width'], `${name} width`, 0);
  const fill = optionalText(bound['fillchar'], `${name} fillchar`) ?? ' ';
  if (stringLength(fill) !== 1) throw new TemplateError('type', `${name}: the fill character must be exactly one character long`);
  meter.checkString(width);
  const padding = width - stringLength(value);
  return padding > 0 ? place(padding, fill, width) : value;
}

/** str.find / str.index / str.count over `[start:end]`. */
function within(value: string, args: CallArguments, name: string): { sub: string; region: string; offset: number } {
  const bound = bindArguments(`str.${name}`, args, ['sub', 'start', 'end']);
  const sub = text(bound['sub'], `${name} argument`);
  const length = value.length;
  const resolve = (index: number): number => Math.min(Math.max(index < 0 ? index + length : index, 0), length);
  const start = resolve(integer(bound['start'], `${name} start`, 0));
  const end = resolve(integer(bound['end'], `${name} end`, length));
  return { sub, region: value.slice(start, Math.max(start, end)), offset: start };
}

function affix(value: string, args: CallArguments, name: string, test: (text: string, affix: string) => boolean): boolean {
  const bound = bindArguments(`str.${name}`, args, ['prefix', 'start', 'end']);
  const candidates = Array.isArray(bound['prefix']) ? bound['prefix'] : [bound['prefix']];
  const { region } = within(value, { positional: ['', bound['start'], bound['end']], keywords: Object.create(null) as Record<string, unknown> }, name);
  return candidates.some((candidate) => test(region, text(candidate, `${name} argument`)));
}

const classTest = (pattern: RegExp): StringMethod => (value) => value !== '' && pattern.test(value);

export const stringMethods: ReadonlyMap<string, StringMethod> = new Map<string, StringMethod>([
  ['strip', (value, args) => strip(value, optionalText(bindArguments('str.strip', args, ['chars'])['chars'], 'strip chars'), true, true)],
  ['lstrip', (value, args) => strip(value, optionalText(bindArguments('str.lstrip', args, ['chars'])['chars'], 'lstrip chars'), true, false)],
  ['rstrip', (value, args) => strip(value, optionalText(bindArguments('str.rstrip', args, ['chars'])['chars'], 'rstrip chars'), false, true)],
  ['lower', (value) => value.toLowerCase()],
  ['upper', (value) => value.toUpperCase()],
  ['casefold', (value) => value.toLowerCase()],
  ['swapcase', (value) => stringCharacters(value).map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('')],
  ['title', (value) => value.replace(/\p{L}+/gu, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase())],
  ['capitalize', (value) => (value === '' ? value : value[0]!.toUpperCase() + value.slice(1).toLowerCase())],
  ['startswith', (value, args) => affix(value, args, 'startswith', (region, prefix) => region.startsWith(prefix))],
  ['endswith', (value, args) => affix(value, args, 'endswith', (region, suffix) => region.endsWith(suffix))],
  ['split', (value, args) => {
    const bound = bindArguments('str.split', args, ['sep', 'maxsplit']);
    return split(value, optionalText(bound['sep'], 'split separator'), integer(bound['maxsplit'], 'maxsplit', -1), false);
  }],
  ['rsplit', (value, args) => {
    const bound = bindArguments('str.rsplit', args, ['sep', 'maxsplit']);
    return split(value, optionalText(bound['sep'], 'rsplit separator'), integer(bound['maxsplit'], 'maxsplit', -1), true);
  }],
  ['splitlines', (value, args) => {
    const keepends = bindArguments('str.splitlines', args, ['keepends'])['keepends'] === true;
    const lines = value.match(/[^\n\r]*(?:\r\n|\n|\r)|[^\n\r]+$/g) ?? [];
    return keepends ? lines : lines.map((line) => line.replace(/(?:\r\n|\n|\r)$/, ''));
  }],
  ['replace', (value, args, meter) => {
    const bound = bindArguments('str.replace', args, ['old', 'new', 'count']);
    const old = text(bound['old'], 'replace old');
    const replacement = text(bound['new'], 'replace new');
    const count = integer(bound['count'], 'replace count', -1);
    const parts = old === '' ? ['', ...stringCharacters(value), ''] : value.split(old);
    const limit = count < 0 ? parts.length : count;
    const joins = Math.min(limit, parts.length - 1);
    meter.checkString(value.length + joins * (replacement.length - old.length));
    let out = parts[0]!;
    for (let index = 1; index < parts.length; index += 1) out += (index <= limit ? replacement : old) + parts[index]!;
    return out;
  }],
  ['join', (value, args, meter) => {
    const items = bindArguments('str.join', args, ['iterable'])['iterable'];
    const list = typeof items === 'string' ? stringCharacters(items) : items;
    if (!Array.isArray(list)) throw new TemplateError('type', `join needs a list of strings, not ${aTypeName(items)}`);
    meter.step(list.length);
    let length = value.length * Math.max(0, list.length - 1);
    list.forEach((item, index) => {
      if (typeof item !== 'string') throw new TemplateError('type', `join: item ${index} is ${aTypeName(item)}, not a string`);
      length += item.length;
    });
    meter.checkString(length);
    return list.join(value);
  }],
  ['find', (value, args) => {
    const { sub, region, offset } = within(value, args, 'find');
    const found = region.indexOf(sub);
    return found === -1 ? -1 : found + offset;
  }],
  ['rfind', (value, args) => {
    const { sub, region, offset } = within(value, args, 'rfind');
    const found = region.lastIndexOf(sub);
    return found === -1 ? -1 : found + offset;
  }],
  ['index', (value, args) => {
    const { sub, region, offset } = within(value, args, 'index');
    const found = region.indexOf(sub);
    if (found === -1) throw new TemplateError('type', 'index: substring not found');
    return found + offset;
  }],
  ['count', (value, args) => {
    const { sub, region } = within(value, args, 'count');
    return sub === '' ? stringLength(region) + 1 : region.split(sub).length - 1;
  }],
  ['isdigit', classTest(/^\d+$/u)],
  ['isnumeric', classTest(/^\p{N}+$/u)],
  ['isdecimal', classTest(/^\p{Nd}+$/u)],
  ['isalpha', classTest(/^\p{L}+$/u)],
  ['isalnum', classTest(/^[\p{L}\p{N}]+$/u)],
  ['isspace', classTest(/^\s+$/u)],
  ['islower', (value) => /\p{Ll}/u.test(value) && !/\p{Lu}/u.test(value)],
  ['isupper', (value) => /\p{Lu}/u.test(value) && !/\p{Ll}/u.test(value)],
  ['center', (value, args, meter) => pad(value, args, meter, 'center', (padding, fill, width) => {
    // CPython puts the odd character of padding on the left when the width is odd.
    const left = Math.floor(padding / 2) + (padding & width & 1);
    return fill.repeat(left) + value + fill.repeat(padding - left);
  })],
  ['ljust', (value, args, meter) => pad(value, args, meter, 'ljust', (padding, fill) => value + fill.repeat(padding))],
  ['rjust', (value, args, meter) => pad(value, args, meter, 'rjust', (padding, fill) => fill.repeat(padding) + value)],
  ['zfill', (value, args, meter) => {
    const width = integer(bindArguments('str.zfill', args, ['width'])['width'], 'zfill width', 0);
    meter.checkString(width);
    const signed = value.startsWith('-') || value.startsWith('+');
    const digits = signed ? value.slice(1) : value;
    return (signed ? value[0]! : '') + digits.padStart(width - (signed ? 1 : 0), '0');
  }],
  ['partition', (value, args) => {
    const separator = text(bindArguments('str.partition', args, ['sep'])['sep'], 'partition separator');
    const found = value.indexOf(separator);
    return tuple(found === -1 ? [value, '', ''] : [value.slice(0, found), separator, value.slice(found + separator.length)]);
  }],
  ['rpartition', (value, args) => {
    const separator = text(bindArguments('str.rpartition', args, ['sep'])['sep'], 'rpartition separator');
    const found = value.lastIndexOf(separator);
    return tuple(found === -1 ? ['', '', value] : [value.slice(0, found), separator, value.slice(found + separator.length)]);
  }],
  ['removeprefix', (value, args) => {
    const prefix = text(bindArguments('str.removeprefix', args, ['prefix'])['prefix'], 'removeprefix argument');
    return value.startsWith(prefix) ? value.slice(prefix.length) : value;
  }],
  ['removesuffix', (value, args) => {
    const suffix = text(bindArguments('str.removesuffix', args, ['suffix'])['suffix'], 'removesuffix argument');
    return suffix !== '' && value.endsWith(suffix) ? value.slice(0, -suffix.length) : value;
  }],
  ['format', (value, args, meter) => pythonStrFormat(value, args, meter)],
]);
