import { pyRepr, pyStr } from './python-values.ts';

const spec = /%(?:\(([^)]*)\))?([-#0 +]*)(\d+)?(?:\.(\d+))?([diouxXeEfFgGcrsa%])/g;

/**
 * Python's printf-style `format % args`, which Jinja's `format` filter uses: `%s`, `%r`, `%d`,
 * `%f`/`%e`/`%g` with width and precision, `%x`/`%o`, `%%`, and `%(name)s` against a mapping.
 */
export function pythonPercentFormat(format: string, args: unknown[]): string {
  const mapping = args.length === 1 && typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]) ? (args[0] as Record<string, unknown>) : undefined;
  let next = 0;
  const out = format.replace(spec, (_all, name: string | undefined, flags: string, width: string | undefined, precision: string | undefined, kind: string) => {
    if (kind === '%') return '%';
    let value: unknown;
    if (name !== undefined) {
      if (!mapping || !(name in mapping)) throw new Error(`format: no value for "%(${name})${kind}"`);
      value = mapping[name];
    } else {
      if (next >= args.length) throw new Error('format: not enough arguments for format string');
      value = args[next++];
    }
    let text = convert(value, kind, precision === undefined ? undefined : Number(precision));
    if (flags.includes('+') && typeof value === 'number' && value >= 0 && 'dieEfFgG'.includes(kind)) text = `+${text}`;
    const size = width === undefined ? 0 : Number(width);
    if (text.length < size) {
      if (flags.includes('-')) text = text.padEnd(size);
      else if (flags.includes('0') && 'dieEfFgGxXo'.includes(kind)) text = text.startsWith('-') ? `-${text.slice(1).padStart(size - 1, '0')}` : text.padStart(size, '0');
      else text = text.padStart(size);
    }
    return text;
  });
  if (mapping === undefined && next < args.length) throw new Error('format: not all arguments converted during string formatting');
  return out;
}

function number(value: unknown, kind: string): number {
  const result = typeof value === 'boolean' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (Number.isNaN(result) && typeof value !== 'number') throw new Error(`format: %${kind} needs a number, not ${pyRepr(value)}`);
  return result;
}

function convert(value: unknown, kind: string, precision: number | undefined): string {
  switch (kind) {
    case 's':
      return precision === undefined ? pyStr(value) : pyStr(value).slice(0, precision);
    case 'r':
    case 'a':
      return pyRepr(value);
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
      return typeof value === 'number' ? String.fromCharCode(value) : pyStr(value).slice(0, 1);
    case 'e':
    case 'E': {
      const text = number(value, kind).toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      return kind === 'E' ? text.toUpperCase() : text;
    }
    case 'g':
    case 'G': {
      const text = String(Number(number(value, kind).toPrecision(precision || 6)));
      return kind === 'G' ? text.toUpperCase() : text;
    }
    default:
      return number(value, kind).toFixed(precision ?? 6);
  }
}
