import { YaqlError } from './errors.ts';
import { codePoints, hasSurrogates } from './text.ts';

/**
 * Python's str methods that yaql's string functions call, with Python's rules: `split()` without
 * a separator splits on runs of whitespace, `strip()` without characters strips Unicode
 * whitespace, and indexes count code points.
 */

/** Python's str.isspace() characters (JavaScript's \s also has U+FEFF, which Python does not count). */
const spaceClass = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const space = new RegExp(`[${spaceClass}]`, 'u');
const word = new RegExp(`[^${spaceClass}]+`, 'gu');

export function strip(text: string, chars: string | null, left: boolean, right: boolean): string {
  const remove = chars === null ? (char: string) => space.test(char) : (char: string) => chars.includes(char);
  let start = 0;
  let end = text.length;
  if (left) {
    while (start < end) {
      const char = String.fromCodePoint(text.codePointAt(start)!);
      if (!remove(char)) break;
      start += char.length;
    }
  }
  if (right) {
    while (end > start) {
      const low = text.charCodeAt(end - 1);
      const width = low >= 0xdc00 && low <= 0xdfff && end - 2 >= start ? 2 : 1;
      if (!remove(text.slice(end - width, end))) break;
      end -= width;
    }
  }
  return text.slice(start, end);
}

/** str.split(sep, maxsplit) (maxsplit -1: no limit). */
export function split(text: string, separator: string | null, maxSplits: number): string[] {
  if (separator === '') throw new YaqlError('value', 'empty separator');
  if (separator === null) return splitWhitespace(text, maxSplits);
  const parts: string[] = [];
  let start = 0;
  while (maxSplits < 0 || parts.length < maxSplits) {
    const found = text.indexOf(separator, start);
    if (found === -1) break;
    parts.push(text.slice(start, found));
    start = found + separator.length;
  }
  parts.push(text.slice(start));
  return parts;
}

/** str.rsplit(sep, maxsplit). */
export function rightSplit(text: string, separator: string | null, maxSplits: number): string[] {
  if (maxSplits < 0) return split(text, separator, -1);
  if (separator === '') throw new YaqlError('value', 'empty separator');
  if (separator === null) {
    const reversed = splitWhitespace(codePoints(text).reverse().join(''), maxSplits);
    return reversed.map((part) => codePoints(part).reverse().join('')).reverse();
  }
  const parts: string[] = [];
  let end = text.length;
  while (parts.length < maxSplits) {
    const found = end - separator.length < 0 ? -1 : text.lastIndexOf(separator, end - separator.length);
    if (found === -1) break;
    parts.unshift(text.slice(found + separator.length, end));
    end = found;
  }
  parts.unshift(text.slice(0, end));
  return parts;
}

function splitWhitespace(text: string, maxSplits: number): string[] {
  const parts: string[] = [];
  word.lastIndex = 0;
  for (let match = word.exec(text); match !== null; match = word.exec(text)) {
    if (maxSplits >= 0 && parts.length >= maxSplits) {
      // The rest, its leading whitespace gone and its trailing kept, as Python leaves it.
      parts.push(text.slice(match.index));
      return parts;
    }
    parts.push(match[0]);
  }
  return parts;
}

/** str.replace(old, new, count) (count < 0: all). */
export function replace(text: string, old: string, replacement: string, count: number): string {
  if (count < 0) {
    if (old === '') return codePoints(text).map((char) => replacement + char).join('') + replacement;
    return text.split(old).join(replacement);
  }
  let out = '';
  let rest = text;
  for (let done = 0; done < count; done += 1) {
    if (old === '') {
      if (rest === '') {
        out += replacement;
        rest = '';
        break;
      }
      const [first] = codePoints(rest);
      out += replacement + first!;
      rest = rest.slice(first!.length);
      continue;
    }
    const found = rest.indexOf(old);
    if (found === -1) break;
    out += rest.slice(0, found) + replacement;
    rest = rest.slice(found + old.length);
  }
  return out + rest;
}

/** Python slice bounds of str.find(sub, start, end): negative counts from the end, clamped. */
function bound(value: number | undefined, length: number, fallback: number): number {
  if (value === undefined) return fallback;
  const resolved = value < 0 ? value + length : value;
  return Math.min(Math.max(resolved, 0), length);
}

/** str.find / str.rfind in code points; -1 when absent. */
export function find(text: string, sub: string, start: number | undefined, end: number | undefined, fromRight: boolean): number {
  if (hasSurrogates(text) || hasSurrogates(sub)) {
    const items = codePoints(text);
    const subItems = codePoints(sub);
    const from = bound(start, items.length, 0);
    const to = bound(end, items.length, items.length);
    const candidates: number[] = [];
    for (let index = from; index + subItems.length <= to; index += 1) {
      if (subItems.every((char, offset) => items[index + offset] === char)) {
        if (!fromRight) return index;
        candidates.push(index);
      }
    }
    return candidates.length > 0 ? candidates[candidates.length - 1]! : -1;
  }
  const from = bound(start, text.length, 0);
  const to = bound(end, text.length, text.length);
  if (to - from < sub.length) return -1;
  const window = text.slice(from, to);
  const found = fromRight ? window.lastIndexOf(sub) : window.indexOf(sub);
  return found === -1 ? -1 : found + from;
}
