import { dictEntries } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { pyFixed, pyRepr, pyStr } from './python-values.ts';
import { aTypeName, isPlainObject } from './template-values.ts';

const spec = /%(?:\(([^)]*)\))?([-#0 +]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGcrsa%])/g;

/**
 * Python's printf-style `format % args`, which the `%` operator on a string and Jinja's `format`
 * filter use: `%s`, `%r`, `%d`, `%f`/`%e`/`%g` with width and precision, `%x`/`%o`, `%%`, and
 * `%(name)s` against a mapping. Widths and precisions count against the string size limit.
 * `unusedAllowed`: the one argument is a list, which Python takes for a mapping and so does not
 * complain when the format uses none of it.
 */
export function pythonPercentFormat(format: string, args: unknown[], meter: WorkMeter, unusedAllowed = false): string {
  const mapping = args.length === 1 && isPlainObject(args[0]) ? new Map(dictEntries(args[0])) : undefined;
  let next = 0;
  let length = 0;
  const out = format.replace(spec, (_all, name: string | undefined, flags: string, width: string | undefined, precision: string | undefined, kind: string) => {
    if (kind === '%') return '%';
    meter.step();
    let value: unknown;
    if (name !== undefined) {
      if (!mapping || !mapping.has(name)) throw new TemplateError('type', `format: no value for "%(${name})${kind}"`);
      value = mapping.get(name);
    } else {
      if (next >= args.length) throw new TemplateError('type', 'format: not enough arguments for format string');
      value = args[next++];
    }
    const size = width === undefined ? 0 : Number(width);
    const digits = precision === undefined ? undefined : Number(precision);
    meter.checkString(length + size + (digits ?? 0));
    let text = convert(value, kind, digits, meter);
    if (flags.includes('+') && typeof value === 'number' && value >= 0 && 'dieEfFgG'.includes(kind)) text = `+${text}`;
    if (text.length < size) {
      if (flags.includes('-')) text = text.padEnd(size);
      else if (flags.includes('0') && 'dieEfFgGxXo'.includes(kind)) text = text.startsWith('-') ? `-${text.slice(1).padStart(size - 1, '0')}` : text.padStart(size, '0');
      else text = text.padStart(size);
    }
    length += text.length;
    meter.checkString(length);
    return text;
  });
  if (mapping === undefined && !unusedAllowed && next < args.length) throw new TemplateError('type', 'format: not all arguments converted during string formatting');
  meter.checkString(out.length);
  return out;
}

/** A failure names the type only: the value may be a secret the template was given. */
function number(value: unknown, kind: string): number {
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number') return value;
  throw new TemplateError('type', `format: %${kind} needs a number, not ${aTypeName(value)}`);
}

function convert(value: unknown, kind: string, precision: number | undefined, meter: WorkMeter): string {
  switch (kind) {
    case 's':
      return precision === undefined ? pyStr(value, meter) : pyStr(value, meter).slice(0, precision);
    case 'r':
    case 'a':
      return pyRepr(value, meter);
    case 'd':
    case 'i':
    case 'u':
      return String(Math.trunc(number(value, kind)));
    case 'x':
      return Math.trunc(number(value, kind)).toString(16);
    case 'X':
      return Math.trunc(number(value, kind)).toString(16).toUpperCase();
    case 'o':
      return Math.trunc(number(value, kind)).toString(8);
    case 'c':
      if (typeof value !== 'number') return pyStr(value, meter).slice(0, 1);
      if (!Number.isInteger(value) || value < 0 || value > 0x10ffff) throw new TemplateError('type', 'format: %c needs a code point in range(0x110000)');
      return String.fromCodePoint(value);
    case 'e':
    case 'E': {
      const text = number(value, kind).toExponential(Math.min(precision ?? 6, 100)).replace(/e([+-])(\d)$/, 'e$10$2');
      return kind === 'E' ? text.toUpperCase() : text;
    }
    case 'g':
    case 'G': {
      const text = String(Number(number(value, kind).toPrecision(Math.min(precision || 6, 100))));
      return kind === 'G' ? text.toUpperCase() : text;
    }
    default:
      return pyFixed(number(value, kind), Math.min(precision ?? 6, 100));
  }
}
