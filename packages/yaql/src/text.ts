/**
 * Strings as Python sees them: sequences of code points. JavaScript counts UTF-16 units, so text
 * with characters beyond the Basic Multilingual Plane (emoji) is split into code points first.
 */
const surrogate = /[\uD800-\uDFFF]/;

export function codePoints(text: string): string[] {
  return surrogate.test(text) ? Array.from(text) : text.split('');
}

export function hasSurrogates(text: string): boolean {
  return surrogate.test(text);
}

export function pyLength(text: string): number {
  return surrogate.test(text) ? Array.from(text).length : text.length;
}

/** Compares two strings by code point, as Python does (JavaScript's `<` compares UTF-16 units). */
export function compareStrings(left: string, right: string): number {
  if (!surrogate.test(left) && !surrogate.test(right)) return left < right ? -1 : left > right ? 1 : 0;
  const a = Array.from(left, (char) => char.codePointAt(0)!);
  const b = Array.from(right, (char) => char.codePointAt(0)!);
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    if (a[index] !== b[index]) return a[index]! - b[index]!;
  }
  return a.length - b.length;
}
