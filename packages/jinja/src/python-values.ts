import { dictEntries } from './data-access.ts';
import { TemplateError } from './errors.ts';
import { unmeteredWork, type WorkMeter } from './limits.ts';
import { isPlainObject, isTuple, LoopState, StringWithAttributes, TemplateFunction, typeName, Undefined } from './template-values.ts';

/**
 * How Python (and so StackStorm's Jinja) prints values. A template that mixes text and values must
 * produce what it produces under StackStorm: `True`, `None`, `{'a': 1}`; and the JSON filters must
 * produce `json.dumps` output byte for byte, since scripts compare or sign it. Printing walks only
 * plain data, charges its work to the render's meter and stops at the string size limit.
 */

/** Python's `str(value)`. */
export function pyStr(value: unknown, meter: WorkMeter = unmeteredWork()): string {
  switch (typeof value) {
    case 'string': return value;
    case 'number': return pyNumber(value);
    case 'boolean': return value ? 'True' : 'False';
    default:
      if (value === null) return 'None';
      if (value instanceof StringWithAttributes) return value.text;
      if (value instanceof Undefined) return '';
      return pyRepr(value, meter);
  }
}

/** Python's `repr(value)` for JSON-like values. */
export function pyRepr(value: unknown, meter: WorkMeter = unmeteredWork()): string {
  const writer = new BoundedWriter(meter);
  writeRepr(value, 0, writer);
  return writer.text();
}

/** Collects the parts of a printed value, charging each and refusing to grow past the string limit. */
class BoundedWriter {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(readonly meter: WorkMeter) {}

  emit(text: string): void {
    this.length += text.length;
    this.meter.checkString(this.length);
    this.parts.push(text);
  }

  text(): string {
    return this.parts.join('');
  }
}

function writeRepr(item: unknown, depth: number, writer: BoundedWriter): void {
  writer.meter.step();
  if (item === null || item === undefined) return writer.emit('None');
  if (item === true) return writer.emit('True');
  if (item === false) return writer.emit('False');
  if (typeof item === 'string') return writer.emit(pyStringRepr(item));
  if (typeof item === 'number') return writer.emit(pyNumber(item));
  if (Array.isArray(item)) {
    writer.meter.checkDataDepth(depth);
    const isTupleValue = isTuple(item);
    writer.emit(isTupleValue ? '(' : '[');
    for (let index = 0; index < item.length; index += 1) {
      if (index > 0) writer.emit(', ');
      writeRepr(item[index], depth + 1, writer);
    }
    return writer.emit(isTupleValue ? (item.length === 1 ? ',)' : ')') : ']');
  }
  if (isPlainObject(item)) {
    writer.meter.checkDataDepth(depth);
    writer.emit('{');
    let first = true;
    for (const [key, entry] of dictEntries(item)) {
      writer.emit(first ? `${pyStringRepr(key)}: ` : `, ${pyStringRepr(key)}: `);
      first = false;
      writeRepr(entry, depth + 1, writer);
    }
    return writer.emit('}');
  }
  return writer.emit(opaqueRepr(item));
}

function opaqueRepr(value: unknown): string {
  if (value instanceof StringWithAttributes) return pyStringRepr(value.text);
  if (value instanceof Undefined) return 'Undefined';
  if (value instanceof TemplateFunction) return `<function ${value.name}>`;
  if (value instanceof LoopState) return `<LoopContext ${value.index0 + 1}/${value.length}>`;
  return `<${typeName(value)}>`;
}

export function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

/**
 * `value` with `digits` decimals as Python formats floats (`'%.2f'`, `'{:.1f}'`, round()): from the
 * exact binary value, with exact ties going to the even digit, where JavaScript's toFixed goes up.
 */
export function pyFixed(value: number, digits: number): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return value.toFixed(digits);
  const exact = Math.abs(value).toFixed(100);
  const point = exact.indexOf('.');
  const whole = exact.slice(0, point);
  const kept = exact.slice(point + 1, point + 1 + digits);
  const rest = exact.slice(point + 1 + digits);
  let scaled = BigInt(whole + kept);
  const lastDigit = Number((whole + kept).slice(-1));
  if (rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || lastDigit % 2 === 1))) scaled += 1n;
  const text = scaled.toString().padStart(digits + 1, '0');
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  return digits === 0 ? sign + text : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

const reprSpecial = /[\\'"\x00-\x1f\x7f]/g;
const reprEscapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(reprSpecial, (char) => {
    if (char === quote) return `\\${quote}`;
    if (char === "'" || char === '"') return char;
    return reprEscapes[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return quote + escaped + quote;
}

export interface PyJsonOptions {
  indent?: number | string | null;
  sortKeys?: boolean;
  /** Python's `separators=(item, key)`; the default depends on `indent`, as in `json.dumps`. */
  separators?: [string, string];
  ensureAscii?: boolean;
}

/** Python's `json.dumps(value, ...)`; a value JSON cannot hold is a TypeError, as in Python. */
export function pyJsonDumps(value: unknown, options: PyJsonOptions = {}, meter: WorkMeter = unmeteredWork()): string {
  const indent = options.indent === null || options.indent === undefined
    ? undefined
    : typeof options.indent === 'number' ? ' '.repeat(Math.max(0, Math.min(options.indent, 64))) : options.indent;
  const [itemSeparator, keySeparator] = options.separators ?? (indent === undefined ? [', ', ': '] : [',', ': ']);
  const format: JsonFormat = { indent, itemSeparator, keySeparator, sortKeys: options.sortKeys === true, ensureAscii: options.ensureAscii ?? true };
  const writer = new BoundedWriter(meter);
  writeJson(value, 0, format, writer);
  return writer.text();
}

interface JsonFormat {
  indent: string | undefined;
  itemSeparator: string;
  keySeparator: string;
  sortKeys: boolean;
  ensureAscii: boolean;
}

function encodeJsonString(text: string, ensureAscii: boolean): string {
  const json = JSON.stringify(text);
  return ensureAscii ? json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

function writeJson(item: unknown, depth: number, format: JsonFormat, writer: BoundedWriter): void {
  writer.meter.step();
  if (item === null || item === undefined) return writer.emit('null');
  if (typeof item === 'boolean') return writer.emit(item ? 'true' : 'false');
  if (typeof item === 'number') {
    if (Number.isNaN(item)) return writer.emit('NaN');
    if (!Number.isFinite(item)) return writer.emit(item > 0 ? 'Infinity' : '-Infinity');
    return writer.emit(String(item));
  }
  if (typeof item === 'string') return writer.emit(encodeJsonString(item, format.ensureAscii));
  if (item instanceof StringWithAttributes) return writer.emit(encodeJsonString(item.text, format.ensureAscii));
  const open = format.indent === undefined ? '' : `\n${format.indent.repeat(depth + 1)}`;
  const close = format.indent === undefined ? '' : `\n${format.indent.repeat(depth)}`;
  if (Array.isArray(item)) {
    writer.meter.checkDataDepth(depth);
    if (item.length === 0) return writer.emit('[]');
    writer.emit(`[${open}`);
    for (let index = 0; index < item.length; index += 1) {
      if (index > 0) writer.emit(format.itemSeparator + open);
      writeJson(item[index], depth + 1, format, writer);
    }
    return writer.emit(`${close}]`);
  }
  if (isPlainObject(item)) {
    writer.meter.checkDataDepth(depth);
    let entries = dictEntries(item);
    if (entries.length === 0) return writer.emit('{}');
    if (format.sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    writer.emit(`{${open}`);
    entries.forEach(([key, entry], index) => {
      writer.emit(`${index > 0 ? format.itemSeparator + open : ''}${encodeJsonString(key, format.ensureAscii)}${format.keySeparator}`);
      writeJson(entry, depth + 1, format, writer);
    });
    return writer.emit(`${close}}`);
  }
  throw new TemplateError('type', `Object of type ${typeName(item)} is not JSON serializable`);
}
