/**
 * How Python (and so StackStorm's Jinja) prints values. A template that mixes text and values must
 * produce what it produces under StackStorm: `True`, `None`, `{'a': 1}`; and the JSON filters must
 * produce `json.dumps` output byte for byte, since scripts compare or sign it.
 */

/** Python's `str(value)`. */
export function pyStr(value: unknown): string {
  if (value instanceof String) return value.valueOf();
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

/** Python's `repr(value)` for JSON-like values. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value instanceof String) return pyStringRepr(value.valueOf());
  if (typeof value === 'string') return pyStringRepr(value);
  if (typeof value === 'number') return pyNumber(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item)}`).join(', ')}}`;
  }
  return String(value);
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const char of text) {
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char < ' ' || char === '\x7f') out += `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return quote + out + quote;
}

export interface PyJsonOptions {
  indent?: number | string | null;
  sortKeys?: boolean;
  /** Python's `separators=(item, key)`; the default depends on `indent`, as in `json.dumps`. */
  separators?: [string, string];
  ensureAscii?: boolean;
}

/** Python's `json.dumps(value, ...)`. */
export function pyJsonDumps(value: unknown, options: PyJsonOptions = {}): string {
  const indent = options.indent === null || options.indent === undefined
    ? undefined
    : typeof options.indent === 'number' ? ' '.repeat(options.indent) : options.indent;
  const [itemSeparator, keySeparator] = options.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const ensureAscii = options.ensureAscii ?? true;

  const encodeString = (text: string): string => {
    const json = JSON.stringify(text);
    return ensureAscii ? json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
  };
  const walk = (item: unknown, depth: number): string => {
    if (item instanceof String) return encodeString(item.valueOf());
    if (item === null || item === undefined) return 'null';
    if (typeof item === 'boolean') return item ? 'true' : 'false';
    if (typeof item === 'number') {
      if (Number.isNaN(item)) return 'NaN';
      if (!Number.isFinite(item)) return item > 0 ? 'Infinity' : '-Infinity';
      return String(item);
    }
    if (typeof item === 'string') return encodeString(item);
    const open = indent === undefined ? '' : `\n${indent.repeat(depth + 1)}`;
    const close = indent === undefined ? '' : `\n${indent.repeat(depth)}`;
    if (Array.isArray(item)) {
      if (item.length === 0) return '[]';
      return `[${open}${item.map((entry) => walk(entry, depth + 1)).join(itemSeparator + open)}${close}]`;
    }
    if (typeof item === 'object') {
      let entries = Object.entries(item as Record<string, unknown>);
      if (entries.length === 0) return '{}';
      if (options.sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${open}${entries.map(([key, entry]) => `${encodeString(key)}${keySeparator}${walk(entry, depth + 1)}`).join(itemSeparator + open)}${close}}`;
    }
    return encodeString(String(item));
  };
  return walk(value, 0);
}
