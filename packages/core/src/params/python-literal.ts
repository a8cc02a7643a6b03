/**
 * Reads a Python literal (`{'a': [1, True, None]}`) as StackStorm's casts do with
 * `ast.literal_eval` when a rendered value is not JSON: a template that mixes text and values
 * prints dicts and lists the Python way, and they must still cast back to objects and arrays.
 * Only literals: strings, numbers, True/False/None, lists, tuples, dicts. Throws on anything else.
 */
export function parsePythonLiteral(text: string): unknown {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`not a Python literal: ${what} at position ${at}`);
  };
  const space = (): void => {
    while (at < text.length && /\s/.test(text[at]!)) at += 1;
  };
  const expect = (char: string): void => {
    space();
    if (text[at] !== char) fail(`expected "${char}"`);
    at += 1;
  };

  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };
  const string = (): string => {
    const quote = text[at]!;
    at += 1;
    let out = '';
    while (at < text.length && text[at] !== quote) {
      if (text[at] === '\\') {
        const next = text[at + 1] ?? '';
        if (next === 'x' || next === 'u') {
          const size = next === 'x' ? 2 : 4;
          const hex = text.slice(at + 2, at + 2 + size);
          if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) fail('bad escape');
          out += String.fromCharCode(parseInt(hex, 16));
          at += 2 + size;
          continue;
        }
        out += escapes[next] ?? `\\${next}`;
        at += 2;
        continue;
      }
      out += text[at];
      at += 1;
    }
    if (text[at] !== quote) fail('unterminated string');
    at += 1;
    return out;
  };

  const sequence = (close: string): unknown[] => {
    const items: unknown[] = [];
    space();
    while (text[at] !== close) {
      items.push(value());
      space();
      if (text[at] === ',') at += 1;
      else if (text[at] !== close) fail(`expected "," or "${close}"`);
      space();
    }
    at += 1;
    return items;
  };

  const value = (): unknown => {
    space();
    const char = text[at];
    if (char === undefined) return fail('unexpected end');
    if (char === "'" || char === '"') return string();
    if (char === '[') {
      at += 1;
      return sequence(']');
    }
    if (char === '(') {
      at += 1;
      return sequence(')');
    }
    if (char === '{') {
      at += 1;
      const object: Record<string, unknown> = {};
      space();
      while (text[at] !== '}') {
        const key = value();
        if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') fail('dict key must be a string or number');
        expect(':');
        object[String(key)] = value();
        space();
        if (text[at] === ',') at += 1;
        else if (text[at] !== '}') fail('expected "," or "}"');
        space();
      }
      at += 1;
      return object;
    }
    const word = /^(True|False|None|[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))/.exec(text.slice(at));
    if (!word) return fail('unexpected character');
    at += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0]);
  };

  const result = value();
  space();
  if (at !== text.length) fail('trailing text');
  return result;
}
