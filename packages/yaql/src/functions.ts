import type { WorkMeter } from './limits.ts';
import type { Scope } from './scope.ts';
import {
  isInteger,
  isIterable,
  isNumber,
  isDict,
  LazyMappingRule,
  LazySequence,
  LazyView,
  MappingRule,
  RegexValue,
  YaqlSet,
  type Lambda,
} from './values.ts';

/**
 * How functions are declared. yaql resolves a call by name, by how it is called (`f(x)` or
 * `x.f()`), then by the arguments: their number, their `name => value` keywords and their types
 * pick one overload. Parameters typed `lambda` receive the argument unevaluated, as a Lambda the
 * function calls with `$1`, `$2`... (`where($ > 1)`).
 */

export interface ParameterType {
  /** For messages: what the parameter takes. */
  readonly name: string;
  /** `lambda`: passed unevaluated; `rule`: a `key => value` passed unevaluated (switch). */
  readonly lazy?: 'lambda' | 'rule';
  accepts(value: unknown): boolean;
}

export interface Parameter {
  name: string;
  type: ParameterType;
  /** The value when the argument is not given; a parameter without one is required. */
  default?: unknown;
  /** The argument may be left out: the function receives `undefined`. */
  optional?: boolean;
}

/** `function`: `f(x)` only; `method`: `x.f()` only; `extension`: both. */
export type CallForm = 'function' | 'method' | 'extension';

export interface FunctionDefinition {
  name: string;
  form: CallForm;
  /** Positional-or-keyword parameters; for a method the first one is the receiver. */
  parameters: Parameter[];
  /** Takes any number of further positional arguments of this type (`*args`). */
  rest?: Parameter;
  /** Takes any further `name => value` arguments (`**kwargs`). */
  restKeywords?: boolean;
  /** `name => value` arguments are passed as MappingRules among the positional ones (`dict(a => 1)`). */
  noKeywords?: boolean;
  /**
   * The implementation. `args` holds the parameters in order, then the rest; `keywords` the extra
   * keywords. It gets only plain values, Lambdas and the engine's own values.
   */
  call(args: unknown[], context: FunctionContext, keywords: Record<string, unknown>): unknown;
}

/** What a function receives besides its arguments. */
export interface FunctionContext {
  /** Charge work done on the expression's behalf to the evaluation's limits. */
  readonly meter: WorkMeter;
  /** The variables where the function was called (`$`, `$name`, and the embedder's). */
  readonly scope: Scope;
}

function type(name: string, accepts: (value: unknown) => boolean, lazy?: 'lambda' | 'rule'): ParameterType {
  return lazy === undefined ? { name, accepts } : { name, accepts, lazy };
}

const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isIntegerLike = (value: unknown): boolean => isInteger(value) || isBoolean(value);

/** The parameter types of yaql's standard library, named as its documentation names them. */
export const types = {
  any: type('any value', () => true),
  string: type('string', (value) => typeof value === 'string'),
  stringOrNull: type('string or null', (value) => value === null || typeof value === 'string'),
  /** Python's int, which a bool is too. */
  int: type('integer', isIntegerLike),
  intOrNull: type('integer or null', (value) => value === null || isIntegerLike(value)),
  number: type('number', isNumber),
  numberOrNull: type('number or null', (value) => value === null || isNumber(value)),
  boolean: type('boolean', isBoolean),
  booleanOrNull: type('boolean or null', (value) => value === null || isBoolean(value)),
  iterable: type('collection', isIterable),
  iterator: type('iterator', (value) => value instanceof LazySequence && !(value instanceof LazyView)),
  sequence: type('list', (value) => Array.isArray(value)),
  dict: type('dict', isDict),
  set: type('set', (value) => value instanceof YaqlSet),
  regex: type('regex', (value) => value instanceof RegexValue),
  mappingRule: type('key => value', (value) => value instanceof MappingRule),
  lazyRule: type('key => value', (value) => value instanceof LazyMappingRule, 'rule'),
  lambda: type('expression', () => true, 'lambda'),
} as const;

export type { Lambda };
