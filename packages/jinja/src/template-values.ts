import type { CallArguments } from './arguments.ts';
import type { WorkMeter } from './limits.ts';

/**
 * The values a template works with are JSON-like data (string, number, boolean, null, arrays, plain
 * objects) plus the few kinds below, which only the engine creates. Nothing else can be reached:
 * see data-access.ts for how data is read.
 */

/** A value that is not there, carrying the expression that produced it for error messages. */
export class Undefined {
  /** The expression as written (`trigger.nope`), or a description. */
  readonly expression: string;
  readonly offset: number;
  /** Prints as '' and is false even under StrictUndefined (an inline `if` without `else`). */
  readonly lenient: boolean;

  constructor(expression: string, offset: number, lenient = false) {
    this.expression = expression;
    this.offset = offset;
    this.lenient = lenient;
  }
}

export function isUndefined(value: unknown): value is Undefined {
  return value instanceof Undefined;
}

/**
 * A string that also has attributes, as StackStorm's datastore lookup is: `st2kv.system.a` prints
 * as the value of key `a` while `st2kv.system.a.b` reads key `a.b`. It behaves as its text
 * everywhere except as the object of an attribute or item lookup.
 */
export class StringWithAttributes {
  readonly text: string;
  /** A plain object; the embedder may fill it after construction. */
  readonly attributes: Record<string, unknown>;

  constructor(text: string, attributes: Record<string, unknown> = {}) {
    this.text = text;
    this.attributes = attributes;
  }

  toString(): string {
    return this.text;
  }

  /** Serialised as its text, as it prints. */
  toJSON(): string {
    return this.text;
  }
}

/** What a filter, test or function registered with the environment receives besides its arguments. */
export interface CallContext {
  /** Charge work done on the template's behalf to the render's limits. */
  meter: WorkMeter;
  /** Whether undefined values render as empty (jinja2.Undefined) rather than failing. */
  lenient: boolean;
  /** Applies another filter of the environment by name (for `map('upper')`). */
  applyFilter(name: string, value: unknown, args: CallArguments): unknown;
  /** Applies a test of the environment by name (for `select('odd')`). */
  applyTest(name: string, value: unknown, args: CallArguments): boolean;
  /** A new dict the template owns: its changing methods (`update`...) may change it. */
  newDict(): Record<string, unknown>;
}

export type TemplateFunctionImpl = (args: CallArguments, context: CallContext) => unknown;

/** A function a template may call: only the embedder registers them (`range`, Orquesta's `ctx`...). */
export class TemplateFunction {
  readonly name: string;
  readonly call: TemplateFunctionImpl;

  constructor(name: string, call: TemplateFunctionImpl) {
    this.name = name;
    this.call = call;
  }
}

/** The `loop` variable inside `{% for %}`. */
export class LoopState {
  index0 = 0;
  readonly length: number;
  readonly items: readonly unknown[];

  constructor(items: readonly unknown[]) {
    this.items = items;
    this.length = items.length;
  }

  /** `loop.<name>`; undefined for a name the loop does not have. */
  attribute(name: string): unknown {
    switch (name) {
      case 'index': return this.index0 + 1;
      case 'index0': return this.index0;
      case 'revindex': return this.length - this.index0;
      case 'revindex0': return this.length - this.index0 - 1;
      case 'first': return this.index0 === 0;
      case 'last': return this.index0 === this.length - 1;
      case 'length': return this.length;
      case 'depth': return 1;
      case 'depth0': return 0;
      case 'previtem': return this.index0 > 0 ? this.items[this.index0 - 1] : undefined;
      case 'nextitem': return this.index0 < this.length - 1 ? this.items[this.index0 + 1] : undefined;
      default: return undefined;
    }
  }
}

/**
 * Tuples are JavaScript arrays like lists; the engine remembers the ones it made as tuples, only
 * so that they print as Python prints tuples (`('a', 1)`) and `%` formatting spreads them.
 */
const tuples = new WeakSet<readonly unknown[]>();

export function tuple<T extends unknown[]>(items: T): T {
  tuples.add(items);
  return items;
}

export function isTuple(value: unknown): boolean {
  return Array.isArray(value) && tuples.has(value);
}

/** True for a plain object: what templates treat as a dict. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** What Python's `type(value).__name__` would say, for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (value instanceof Undefined) return 'Undefined';
  switch (typeof value) {
    case 'string': return 'str';
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(value) ? 'int' : 'float';
    case 'function': return 'function';
    case 'object':
      if (Array.isArray(value)) return 'list';
      if (isPlainObject(value)) return 'dict';
      if (value instanceof StringWithAttributes) return 'str';
      if (value instanceof TemplateFunction) return 'function';
      if (value instanceof LoopState) return 'LoopContext';
      return 'object';
    default:
      return typeof value;
  }
}

/** The type name with its article, for messages: `an int`, `a str`. */
export function aTypeName(value: unknown): string {
  const name = typeName(value);
  return `${/^[aeiouAEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}
