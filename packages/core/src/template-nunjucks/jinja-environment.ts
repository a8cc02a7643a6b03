import nunjucks from 'nunjucks';
import { pythonPercentFormat } from './python-format.ts';
import { pyStr } from './python-values.ts';
import { jinjaFilters } from './jinja-filters.ts';
import { st2Filters } from './st2-filters.ts';

/**
 * Nunjucks set up to behave like StackStorm's Jinja environment (st2common/util/jinja.py):
 * trim_blocks and lstrip_blocks, StackStorm's filters and `in` test, Python's `True`/`False`/`None`,
 * dict and list methods and slices (nunjucks' own Jinja compatibility), Python string methods,
 * negative indexes, tuples, iterating a dict's keys, `%` string formatting, values printed
 * the way Python prints them, and (unless undefined values are allowed) an error on printing an
 * undefined value, like jinja2.StrictUndefined.
 *
 * The printing and string-method changes patch nunjucks' shared runtime, so they are switched on
 * only while one of our templates renders (rendering is synchronous): other nunjucks users in the
 * process keep the stock behaviour.
 */

type Runtime = {
  suppressValue: (value: unknown, autoescape: boolean) => unknown;
  ensureDefined: (value: unknown, lineno: number, colno: number) => unknown;
  memberLookup: (obj: unknown, name: unknown, ...slice: unknown[]) => unknown;
  fromIterator: (value: unknown) => unknown;
  packrunMod?: (left: unknown, right: unknown) => unknown;
};

let activeRenders = 0;

/** Runs `render` with the Python-like runtime behaviour switched on. */
export function withJinjaRuntime<T>(render: () => T): T {
  installRuntimePatches();
  activeRenders += 1;
  try {
    return render();
  } finally {
    activeRenders -= 1;
  }
}

let installed = false;
function installRuntimePatches(): void {
  if (installed) return;
  installed = true;
  nunjucks.installJinjaCompat();
  const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;
  const { suppressValue, ensureDefined, memberLookup, fromIterator } = runtime;
  const TemplateError = (nunjucks.lib as unknown as { TemplateError: new (message: string, line: number, col: number) => Error }).TemplateError;

  runtime.suppressValue = (value, autoescape) => {
    if (activeRenders === 0) return suppressValue(value, autoescape);
    return value === undefined ? '' : pyStr(value);
  };
  runtime.ensureDefined = (value, lineno, colno) => {
    if (activeRenders === 0) return ensureDefined(value, lineno, colno);
    if (value === undefined) throw new TemplateError('a value in the template is undefined', lineno + 1, colno + 1);
    return value;
  };
  const tokenizer = Object.getPrototypeOf((nunjucks as unknown as { lexer: { lex(src: string, opts: object): object } }).lexer.lex('', {})) as {
    _parseString(this: Tokenizer, delimiter: string): string;
  };
  const parseString = tokenizer._parseString;
  tokenizer._parseString = function (delimiter) {
    if (activeRenders === 0) return parseString.call(this, delimiter);
    return parsePythonString(this, delimiter);
  };

  runtime.memberLookup = function (this: unknown, ...args: unknown[]) {
    const [obj, name] = args;
    if (activeRenders === 0) return memberLookup.apply(this, args as Parameters<Runtime['memberLookup']>);
    const isString = typeof obj === 'string' || obj instanceof String;
    // A slice (`x[1:]`) arrives with start, stop and step; Python slices a string into a string.
    if (args.length === 4) {
      const sliced = memberLookup.apply(this, (isString ? [[...String(obj)], ...args.slice(1)] : args) as Parameters<Runtime['memberLookup']>);
      return isString && Array.isArray(sliced) ? sliced.join('') : sliced;
    }
    if (isString && typeof name === 'string') {
      const method = pythonStringMethods[name];
      if (method) return (...methodArgs: unknown[]) => method(String(obj), ...methodArgs);
    }
    if (typeof name === 'number' && name < 0 && (isString || Array.isArray(obj))) {
      const length = isString ? String(obj).length : (obj as unknown[]).length;
      return memberLookup.call(this, obj, length + name);
    }
    return memberLookup.apply(this, args as Parameters<Runtime['memberLookup']>);
  };

  // Iterating a dict yields its keys in Jinja; nunjucks yields nothing for a single loop variable.
  runtime.fromIterator = (value) => {
    if (activeRenders > 0 && typeof value === 'object' && value !== null && !Array.isArray(value) && !(Symbol.iterator in value)) {
      return Object.keys(value);
    }
    return fromIterator(value);
  };

  // `"%s-%s" % (a, b)` is Python string formatting, not a remainder, when the left side is a string.
  const compiler = (nunjucks as unknown as { compiler: { Compiler: { prototype: CompilerPrototype } } }).compiler.Compiler.prototype;
  const compileMod = compiler.compileMod;
  compiler.compileMod = function (node, frame) {
    if (activeRenders === 0) return compileMod.call(this, node, frame);
    this._emit('runtime.packrunMod(');
    this.compile(node.left, frame);
    this._emit(', ');
    this.compile(node.right, frame);
    this._emit(')');
    return undefined;
  };
  // `(a, b)` is a tuple in Jinja; nunjucks emits a JavaScript comma expression that keeps only `b`.
  const compileGroup = compiler.compileGroup;
  compiler.compileGroup = function (node, frame) {
    if (activeRenders === 0 || node.children.length < 2) return compileGroup.call(this, node, frame);
    return this._compileAggregate(node, frame, '[', ']');
  };
  runtime.packrunMod = (left, right) =>
    typeof left === 'string' || left instanceof String
      ? pythonPercentFormat(String(left), Array.isArray(right) ? right : [right])
      : (left as number) % (right as number);
}

interface CompilerPrototype {
  compileMod(this: CompilerPrototype, node: { left: unknown; right: unknown }, frame: unknown): unknown;
  compileGroup(this: CompilerPrototype, node: { children: unknown[] }, frame: unknown): unknown;
  _compileAggregate(node: { children: unknown[] }, frame: unknown, start: string, end: string): unknown;
  compile(node: unknown, frame: unknown): void;
  _emit(code: string): void;
}

interface Tokenizer {
  current(): string;
  forward(): void;
  isFinished(): boolean;
}

const simpleEscapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/**
 * A string literal as Python reads it: an unknown escape such as `\d` keeps its backslash, so regular
 * expressions written for StackStorm (`regex_match('\d+')`) mean the same here.
 */
function parsePythonString(lexer: Tokenizer, delimiter: string): string {
  lexer.forward();
  let out = '';
  while (!lexer.isFinished() && lexer.current() !== delimiter) {
    const char = lexer.current();
    lexer.forward();
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = lexer.current();
    lexer.forward();
    const simple = simpleEscapes[next];
    if (simple !== undefined) {
      out += simple;
    } else if (next === 'x' || next === 'u') {
      let hex = '';
      for (let i = 0; i < (next === 'x' ? 2 : 4) && /[0-9a-fA-F]/.test(lexer.current()); i += 1) {
        hex += lexer.current();
        lexer.forward();
      }
      out += hex.length === (next === 'x' ? 2 : 4) ? String.fromCharCode(parseInt(hex, 16)) : `\\${next}${hex}`;
    } else {
      out += `\\${next}`;
    }
  }
  lexer.forward();
  return out;
}

const stripChars = (chars: unknown): string => (typeof chars === 'string' ? chars.replace(/[\\\]^-]/g, '\\$&') : '\\s');

/** The Python str methods templates use, where JavaScript's differ or are missing. */
const pythonStringMethods: Record<string, (text: string, ...args: unknown[]) => unknown> = {
  strip: (text, chars) => text.replace(new RegExp(`^[${stripChars(chars)}]+|[${stripChars(chars)}]+$`, 'g'), ''),
  lstrip: (text, chars) => text.replace(new RegExp(`^[${stripChars(chars)}]+`), ''),
  rstrip: (text, chars) => text.replace(new RegExp(`[${stripChars(chars)}]+$`), ''),
  lower: (text) => text.toLowerCase(),
  upper: (text) => text.toUpperCase(),
  startswith: (text, prefix) => (Array.isArray(prefix) ? prefix : [prefix]).some((p) => text.startsWith(String(p))),
  endswith: (text, suffix) => (Array.isArray(suffix) ? suffix : [suffix]).some((s) => text.endsWith(String(s))),
  split: (text, separator, maxsplit) => {
    const limit = typeof maxsplit === 'number' && maxsplit >= 0 ? maxsplit : Infinity;
    if (separator === undefined || separator === null) {
      const words = text.trim().split(/\s+/).filter((word) => word !== '');
      return limit === Infinity || words.length <= limit ? words : [...words.slice(0, limit), text.trim().split(/\s+/).slice(limit).join(' ')];
    }
    const parts = text.split(String(separator));
    return limit === Infinity || parts.length <= limit + 1 ? parts : [...parts.slice(0, limit), parts.slice(limit).join(String(separator))];
  },
  replace: (text, old, replacement, count) => {
    const parts = text.split(String(old));
    const limit = typeof count === 'number' && count >= 0 ? count : parts.length;
    return parts.reduce((out, part, index) => (index === 0 ? part : out + (index <= limit ? String(replacement) : String(old)) + part), '');
  },
  join: (text, values) => (Array.isArray(values) ? values.map((value) => pyStr(value)).join(text) : ''),
  title: (text) => text.replace(/[A-Za-z]+/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()),
  capitalize: (text) => (text ? text[0]!.toUpperCase() + text.slice(1).toLowerCase() : text),
  isdigit: (text) => /^\d+$/.test(text),
  find: (text, sub) => text.indexOf(String(sub)),
  count: (text, sub) => (String(sub) === '' ? text.length + 1 : text.split(String(sub)).length - 1),
};

/** @types/nunjucks omits the test registry that nunjucks has. */
export type JinjaEnvironment = nunjucks.Environment & {
  addTest(name: string, test: (...args: never[]) => boolean): void;
  getTest(name: string): (...args: unknown[]) => boolean;
};

/** Filters that exist to handle an undefined value. */
const undefinedAwareFilters = new Set(['default', 'd']);

/**
 * jinja2.StrictUndefined also fails when an undefined value reaches a filter (`{{ typo | upper }}`);
 * nunjucks filters quietly turn it into an empty string.
 */
function rejectUndefinedInFilters(env: JinjaEnvironment): void {
  const filters = (env as unknown as { filters: Record<string, (this: unknown, ...args: unknown[]) => unknown> }).filters;
  for (const [name, filter] of Object.entries(filters)) {
    if (undefinedAwareFilters.has(name)) continue;
    env.addFilter(name, function (this: unknown, value: unknown, ...args: unknown[]) {
      if (value === undefined) throw new Error(`an undefined value was given to the filter "${name}"`);
      return filter.call(this, value, ...args);
    });
  }
}

function createEnvironment(allowUndefined: boolean): JinjaEnvironment {
  const env = new nunjucks.Environment(null, {
    autoescape: false,
    throwOnUndefined: !allowUndefined,
    trimBlocks: true,
    lstripBlocks: true,
  }) as JinjaEnvironment;
  for (const [name, filter] of Object.entries({ ...st2Filters, ...jinjaFilters(env) })) env.addFilter(name, filter);
  if (!allowUndefined) rejectUndefinedInFilters(env);
  env.addTest('in', (item: unknown, container: unknown) =>
    Array.isArray(container) ? container.includes(item) : typeof container === 'string' ? container.includes(String(item)) : typeof container === 'object' && container !== null && String(item) in container,
  );
  env.addTest('none', (value: unknown) => value === null);
  env.addTest('true', (value: unknown) => value === true);
  env.addTest('false', (value: unknown) => value === false);
  env.addTest('boolean', (value: unknown) => typeof value === 'boolean');
  env.addTest('integer', (value: unknown) => Number.isInteger(value));
  env.addTest('float', (value: unknown) => typeof value === 'number' && !Number.isInteger(value));
  env.addTest('sequence', (value: unknown) => typeof value === 'string' || Array.isArray(value) || (typeof value === 'object' && value !== null));
  return env;
}

const environments = { strict: createEnvironment(false), lenient: createEnvironment(true) };

export function jinjaEnvironment(allowUndefined: boolean): JinjaEnvironment {
  return allowUndefined ? environments.lenient : environments.strict;
}
