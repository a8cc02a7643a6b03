/**
 * Strings as Python sees them: sequences of code points. JavaScript counts UTF-16 units, so text
 * with characters beyond the Basic Multilingual Plane (emoji) needs care. These helpers walk the
 * text in place rather than splitting it, so a long string costs no array of its characters.
 */
const surrogate = /[\uD800-\uDFFF]/;

export function hasSurrogates(text: string): boolean {
  return surrogate.test(text);
}

/** The code points of a text, one string each (for the functions that return them as a list). */
export function codePoints(text: string): string[] {
  return surrogate.test(text) ? Array.from(text) : text.split('');
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Python's len(): code points, not UTF-16 units. */
export function pyLength(text: string): number {
  if (!surrogate.test(text)) return text.length;
  let count = 0;
  for (let index = 0; index < text.length; index += 1) if (!isLowSurrogate(text.charCodeAt(index)) || index === 0 || !isHighSurrogate(text.charCodeAt(index - 1))) count += 1;
  return count;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The UTF-16 index of code point `position` (clamped to the text). */
export function unitIndex(text: string, position: number): number {
  if (!surrogate.test(text)) return Math.min(position, text.length);
  let index = 0;
  for (let count = 0; count < position && index < text.length; count += 1) index += text.codePointAt(index)! > 0xffff ? 2 : 1;
  return index;
}

/** Compares two strings by code point, as Python does (JavaScript's `<` compares UTF-16 units). */
export function compareStrings(left: string, right: string): number {
  if (!surrogate.test(left) && !surrogate.test(right)) return left < right ? -1 : left > right ? 1 : 0;
  let [a, b] = [0, 0];
  while (a < left.length && b < right.length) {
    const [x, y] = [left.codePointAt(a)!, right.codePointAt(b)!];
    if (x !== y) return x - y;
    a += x > 0xffff ? 2 : 1;
    b += y > 0xffff ? 2 : 1;
  }
  return (left.length - a) - (right.length - b);
}
