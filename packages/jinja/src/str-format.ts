import type { CallArguments } from './arguments.ts';
import { ownValue } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { WorkMeter } from './limits.ts';
import { pyFixed, pyNumber, pyRepr, pyStr } from './python-values.ts';
import { aTypeName } from './template-values.ts';

/**
 * Python's `'...'.format(*args, **kwargs)`: `{}`, `{0}`, `{name}`, `!r`/`!s`, and a format spec
 * `[[fill]align][sign][0][width][,][.precision][type]`. A field that reads an attribute or an item
 * (`{0.__class__}`, `{0[key]}`), the way out of Jinja's own sandbox, is refused.
 */
export function pythonStrFormat(template: string, args: CallArguments, meter: WorkMeter): string {
  let out = '';
  let automatic = 0;
  let cursor = 0;
  while (cursor < template.length) {
    const open = template.indexOf('{', cursor);
    const close = template.indexOf('}', cursor);
    if (open === -1 && close === -1) {
      out += template.slice(cursor);
      break;
    }
    if (close !== -1 && (open === -1 || close < open)) {
      if (template[close + 1] !== '}') throw new TemplateError('type', "format: single '}' encountered in format string");
      out += template.slice(cursor, close + 1);
      cursor = close + 2;
      continue;
    }
    out += template.slice(cursor, open);
    if (template[open + 1] === '{') {
      out += '{';
      cursor = open + 2;
      continue;
    }
    const end = template.indexOf('}', open);
    if (end === -1) throw new TemplateError('type', "format: single '{' encountered in format string");
    const field = template.slice(open + 1, end);
    if (field.includes('{')) throw new TemplateError('type', 'format: nested fields are not supported');
    const match = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
    if (!match) throw new TemplateError('type', `format: cannot read the field "{${field}}"`);
    const [, name = '', conversion, spec = ''] = match;
    if (/[.[]/.test(name)) throw new TemplateError('type', `format: the field "{${field}}" reads an attribute or an item, which templates cannot do`);
    let value: unknown;
    if (name === '') {
      value = positionalAt(args, automatic);
      automatic += 1;
    } else if (/^\d+$/.test(name)) {
      value = positionalAt(args, Number(name));
    } else {
      value = ownValue(args.keywords, name);
      if (value === undefined) throw new TemplateError('type', `format: no keyword argument "${name}"`);
    }
    if (conversion === 'r' || conversion === 'a') value = pyRepr(value, meter);
    else if (conversion === 's') value = pyStr(value, meter);
    out += formatValue(value, spec, meter);
    meter.checkString(out.length);
    cursor = end + 1;
  }
  meter.checkString(out.length);
  return out;
}

function positionalAt(args: CallArguments, index: number): unknown {
  if (index >= args.positional.length) throw new TemplateError('type', `format: no positional argument ${index}`);
  return args.positional[index];
}

const specPattern = /^(?:(.)?([<>^=]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

/** Python's `format(value, spec)` for str, int, float, bool and None. */
function formatValue(value: unknown, spec: string, meter: WorkMeter): string {
  if (spec === '') return pyStr(value, meter);
  const match = specPattern.exec(spec);
  if (!match) throw new TemplateError('type', `format: invalid format specifier "${spec}"`);
  const [, fillGiven, alignGiven, sign = '-', , zero, widthText, grouping, precisionText, type] = match;
  const width = widthText === undefined ? 0 : Number(widthText);
  const precision = precisionText === undefined ? undefined : Math.min(Number(precisionText), 100);
  meter.checkString(width);
  const isNumber = typeof value === 'number' || typeof value === 'boolean';
  let body: string;
  let negative = false;
  if (type === undefined && !isNumber) {
    body = pyStr(value, meter);
    if (precision !== undefined) body = body.slice(0, precision);
  } else if (type === 's') {
    if (typeof value !== 'string') throw new TemplateError('type', `format: unknown format code "s" for ${aTypeName(value)}`);
    body = precision === undefined ? value : value.slice(0, precision);
  } else {
    if (!isNumber) throw new TemplateError('type', `format: unknown format code "${type}" for ${aTypeName(value)}`);
    const number = Number(value);
    negative = number < 0 || Object.is(number, -0);
    body = formatNumber(Math.abs(number), type, precision, grouping);
  }
  const signText = negative ? '-' : isNumber && sign === '+' ? '+' : isNumber && sign === ' ' ? ' ' : '';
  const fill = fillGiven ?? (zero && alignGiven === undefined ? '0' : ' ');
  const align = alignGiven ?? (zero ? '=' : isNumber ? '>' : '<');
  const padding = Math.max(0, width - signText.length - body.length);
  switch (align) {
    case '<': return signText + body + fill.repeat(padding);
    case '>': return fill.repeat(padding) + signText + body;
    case '^': return fill.repeat(Math.floor(padding / 2)) + signText + body + fill.repeat(Math.ceil(padding / 2));
    default: return signText + fill.repeat(padding) + body;
  }
}

function formatNumber(number: number, type: string | undefined, precision: number | undefined, grouping: string | undefined): string {
  let text: string;
  switch (type) {
    case 'd':
    case 'n':
      if (!Number.isInteger(number)) throw new TemplateError('type', `format: unknown format code "${type}" for a float`);
      text = String(number);
      break;
    case 'b': text = Math.trunc(number).toString(2); break;
    case 'o': text = Math.trunc(number).toString(8); break;
    case 'x': text = Math.trunc(number).toString(16); break;
    case 'X': text = Math.trunc(number).toString(16).toUpperCase(); break;
    case 'c':
      if (number > 0x10ffff) throw new TemplateError('type', 'format: %c needs a code point in range(0x110000)');
      return String.fromCodePoint(Math.trunc(number));
    case 'e':
    case 'E':
      text = number.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      if (type === 'E') text = text.toUpperCase();
      break;
    case 'f':
    case 'F': text = pyFixed(number, precision ?? 6); break;
    case '%': return `${pyFixed(number * 100, precision ?? 6)}%`;
    case 'g':
    case 'G': text = String(Number(number.toPrecision(precision || 6))); break;
    default: text = precision === undefined ? pyNumber(number) : String(Number(number.toPrecision(precision || 1)));
  }
  if (grouping !== undefined) {
    const [whole = '', fraction] = text.split('.');
    text = whole.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (fraction === undefined ? '' : `.${fraction}`);
  }
  return text;
}
