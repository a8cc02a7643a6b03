import { SourceCache } from '@packrun/expression-kit';
import type { Expression } from './ast.ts';
import { admit } from './data-access.ts';
import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionDefinition } from './functions.ts';
import { namedReads, references, rootReads, type NamedRead, type References } from './inspection.ts';
import { Evaluation } from './interpreter.ts';
import { tokenize } from './lexer.ts';
import { standardLibrary } from './library.ts';
import { defaultLimits, limitError, WorkMeter, type Limits } from './limits.ts';
import { toOutput } from './output.ts';
import { parse } from './parser.ts';
import { FunctionRegistry } from './registry.ts';
import { Scope } from './scope.ts';

/**
 * An engine holds the functions expressions may call (yaql's standard library and the
 * embedder's), the limits, and a cache of parsed expressions. Parse once, evaluate many times:
 * `compile` returns the cached expression for a source.
 */

export interface EngineOptions {
  limits?: Partial<Limits>;
  /** How many parsed expressions to keep (2000 by default). */
  cacheSize?: number;
  /** The total length of the sources kept (8 Mi characters by default). */
  cacheCharacters?: number;
}

export interface EvaluateOptions {
  /** `$` (and `$1`): the data the expression queries. Null when not given. */
  root?: unknown;
  /** `$name` variables, which registered functions read too (Orquesta's `__vars`, `__state`...). */
  variables?: Record<string, unknown>;
  /** Charges this evaluation to an existing meter (`engine.meter()`), so several share one budget. */
  meter?: WorkMeter;
}

/** What a registered function receives besides its arguments. */
export interface CallContext {
  /** Charge work done on the expression's behalf. */
  readonly meter: WorkMeter;
  /** The value of `$name` where the function was called (`variable('__vars')`), or undefined. */
  variable(name: string): unknown;
}

export interface CallArguments {
  positional: unknown[];
  /** `name => value` arguments, in a null-prototype object. */
  keywords: Record<string, unknown>;
}

export type YaqlFunction = (args: CallArguments, context: CallContext) => unknown;

export interface FunctionOptions {
  /** Also callable as a method, the receiver first (`x.name()` as well as `name(x)`). */
  method?: boolean;
}

const embedderLayer = 0;
const libraryLayer = 1;
/** Functions whose lambda arguments are called without arguments, so `$` keeps its meaning in them. */
const keepsRoot = new Set(['coalesce', 'switch', 'selectCase', 'selectAllCases', 'examine', 'switchCase']);

export class YaqlEngine {
  readonly limits: Readonly<Limits>;
  private readonly registry = new FunctionRegistry(2);
  private readonly cache: SourceCache<CompiledExpression>;

  constructor(options: EngineOptions = {}) {
    this.limits = Object.freeze({ ...defaultLimits, ...options.limits });
    this.cache = new SourceCache(options.cacheSize ?? 2000, options.cacheCharacters ?? 8 * 1024 * 1024);
    for (const definition of standardLibrary) this.registry.add(libraryLayer, definition);
  }

  /**
   * A function expressions may call by name, e.g. Orquesta's `ctx()`. It takes precedence over a
   * library function of the same name and form; registering a name again replaces it.
   */
  addFunction(name: string, impl: YaqlFunction, options: FunctionOptions = {}): this {
    this.registry.remove(embedderLayer, name);
    this.registry.add(embedderLayer, embedderFunction(name, impl, options));
    return this;
  }

  /** The parsed expression for `source`, from the cache when it was parsed before. Throws YaqlError on bad syntax. */
  compile(source: string): CompiledExpression {
    const cached = this.cache.get(source);
    if (cached !== undefined) return cached;
    if (source.length > this.limits.maxSourceLength) throw limitError('maxSourceLength', `an expression of ${source.length} characters`, this.limits.maxSourceLength);
    const tree = located(source, () => parse(tokenize(source), source, this.limits.maxNestingDepth));
    const compiled = new CompiledExpression(this, source, tree);
    this.cache.set(source, compiled);
    return compiled;
  }

  evaluate(source: string, options: EvaluateOptions = {}): unknown {
    return this.compile(source).evaluate(options);
  }

  /** A meter over this engine's limits, for evaluations that should share one budget. */
  meter(): WorkMeter {
    return new WorkMeter(this.limits);
  }

  /** @internal Runs a parsed expression. */
  run(source: string, tree: Expression, options: EvaluateOptions): unknown {
    const meter = options.meter ?? this.meter();
    return located(source, () => {
      const scope = new Scope(undefined);
      for (const [name, value] of Object.entries(options.variables ?? {})) scope.set(name, value);
      scope.set('', options.root ?? null);
      const evaluation = new Evaluation({ registry: this.registry, meter, maxNestingDepth: this.limits.maxNestingDepth });
      return toOutput(evaluation.evaluate(tree, scope), meter);
    });
  }

  /** @internal Whether argument `index` of a call is a lambda that rebinds `$` (for inspection). */
  rebindsRoot(name: string, method: boolean, index: number): boolean {
    if (keepsRoot.has(name)) return false;
    const position = index + (method ? 1 : 0);
    return this.registry
      .overloads(name, method)
      .flat()
      .some((definition) => (definition.parameters[position] ?? definition.rest)?.type.lazy === 'lambda');
  }
}

export class CompiledExpression {
  constructor(
    private readonly engine: YaqlEngine,
    readonly source: string,
    private readonly tree: Expression,
  ) {}

  /** The expression's value as plain data (lists, dicts, strings, numbers, booleans, null). */
  evaluate(options: EvaluateOptions = {}): unknown {
    return this.engine.run(this.source, this.tree, options);
  }

  /** The variables the expression reads and the functions it calls. */
  references(): References {
    return references(this.tree);
  }

  /** The entries read through `functionName`: `ctx('x')`, `ctx(x)`, `ctx().x`, `ctx()['x']`. */
  namedReads(functionName: string): NamedRead[] {
    return namedReads(this.tree, functionName);
  }

  /** The entries of `$` read: `$.x`, `$['x']`, outside the lambdas where `$` is an item. */
  rootReads(): NamedRead[] {
    return rootReads(this.tree, (name, method, index) => this.engine.rebindsRoot(name, method, index));
  }
}

function embedderFunction(name: string, impl: YaqlFunction, options: FunctionOptions): FunctionDefinition {
  return define(
    name,
    options.method === true ? 'extension' : 'function',
    [],
    (positional, context, keywords) => {
      const keywordObject = Object.assign(Object.create(null) as Record<string, unknown>, keywords);
      let result: unknown;
      try {
        result = impl({ positional, keywords: keywordObject }, { meter: context.meter, variable: (variable) => context.scope.get(variable) });
      } catch (error) {
        if (error instanceof YaqlError) throw error;
        throw new YaqlError('call', `${name}() failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      return admit(result, `the result of ${name}()`);
    },
    { rest: parameter('args', types.any), restKeywords: true },
  );
}

/** Runs a parse or evaluation, giving a YaqlError its position in `source`. */
function located<T>(source: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof YaqlError) throw error.locate(source);
    if (error instanceof RangeError) {
      // A stack or string-size overflow inside a function: report it as a limit, never crash the embedder.
      throw new YaqlError('limit', `the expression exceeded a runtime limit: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
