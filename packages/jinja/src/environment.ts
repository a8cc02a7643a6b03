import { SourceCache } from '@packrun/expression-kit';
import type { Expression, Statement } from './ast.ts';
import { builtinFunctions } from './builtin-globals.ts';
import { builtinTests } from './builtin-tests.ts';
import { collectionFilters } from './collection-filters.ts';
import { TemplateError } from './errors.ts';
import { Render, type RenderSettings } from './interpreter.ts';
import { normaliseSource, tokenize, tokenizeExpression, type LexerOptions } from './lexer.ts';
import { defaultLimits, WorkMeter, type Limits } from './limits.ts';
import { parseExpression, parseTemplate } from './parser.ts';
import type { FilterDefinition, FilterImpl, Registry, TestImpl } from './registry.ts';
import { TemplateFunction, type TemplateFunctionImpl } from './template-values.ts';
import { textFilters } from './text-filters.ts';

/**
 * An environment holds what templates may call (filters, tests, global functions and values),
 * the syntax options, the limits, and a cache of parsed templates. Parse once, render many times:
 * `compile` returns the cached Template for a source.
 */

export interface EnvironmentOptions {
  /** `strict` (jinja2.StrictUndefined, the default) or `lenient` (jinja2.Undefined); renders may override. */
  undefined?: 'strict' | 'lenient';
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  keepTrailingNewline?: boolean;
  limits?: Partial<Limits>;
  /** How many parsed templates and expressions to keep (2000 of each by default). */
  cacheSize?: number;
  /** The total length of the sources kept in each cache (8 Mi characters by default). */
  cacheCharacters?: number;
}

export interface RenderOptions {
  /** Overrides the environment's undefined behaviour for this render. */
  undefined?: 'strict' | 'lenient';
  /**
   * Charges this render to an existing meter (`environment.meter()`), so that several renders
   * (every string of a parameters object) share one budget of steps and time.
   */
  meter?: WorkMeter;
}

export type TemplateContext = Record<string, unknown>;

export class Environment {
  private readonly registry: Registry = { filters: new Map(), tests: new Map(), globals: new Map() };
  private readonly lexerOptions: LexerOptions;
  private readonly templates: SourceCache<Template>;
  private readonly expressions: SourceCache<CompiledExpression>;
  readonly limits: Readonly<Limits>;
  readonly lenient: boolean;

  constructor(options: EnvironmentOptions = {}) {
    this.lexerOptions = {
      trimBlocks: options.trimBlocks ?? false,
      lstripBlocks: options.lstripBlocks ?? false,
      keepTrailingNewline: options.keepTrailingNewline ?? false,
    };
    this.limits = Object.freeze({ ...defaultLimits, ...options.limits });
    this.lenient = options.undefined === 'lenient';
    this.templates = new SourceCache(options.cacheSize ?? 2000, options.cacheCharacters ?? 8 * 1024 * 1024);
    this.expressions = new SourceCache(options.cacheSize ?? 2000, options.cacheCharacters ?? 8 * 1024 * 1024);
    for (const [name, definition] of [...textFilters, ...collectionFilters]) this.registry.filters.set(name, definition);
    for (const [name, test] of builtinTests) this.registry.tests.set(name, test);
    for (const [name, impl] of builtinFunctions) this.registry.globals.set(name, new TemplateFunction(name, impl));
  }

  addFilter(name: string, filter: FilterImpl | FilterDefinition): this {
    this.registry.filters.set(name, typeof filter === 'function' ? { call: filter } : filter);
    this.forget();
    return this;
  }

  addTest(name: string, test: TestImpl): this {
    this.registry.tests.set(name, test);
    this.forget();
    return this;
  }

  /** A function templates may call by name, e.g. Orquesta's `ctx()`. */
  addFunction(name: string, impl: TemplateFunctionImpl): this {
    this.registry.globals.set(name, new TemplateFunction(name, impl));
    return this;
  }

  /** A global value (plain data) every template sees unless its context has the same name. */
  addGlobal(name: string, value: unknown): this {
    this.registry.globals.set(name, value);
    return this;
  }

  /** The parsed template for `source`, from the cache when it was parsed before. Throws TemplateError on bad syntax. */
  compile(source: string): Template {
    const cached = this.templates.get(source);
    if (cached !== undefined) return cached;
    const normalised = normaliseSource(source, this.lexerOptions);
    const statements = located(normalised, () => parseTemplate(tokenize(normalised, this.lexerOptions), normalised, this.registry, this.limits.maxNestingDepth));
    const template = new Template(this, normalised, statements);
    this.templates.set(source, template);
    return template;
  }

  /** A parsed bare expression (`ctx().x + 1`, no braces), cached like templates. */
  compileExpression(source: string): CompiledExpression {
    const cached = this.expressions.get(source);
    if (cached !== undefined) return cached;
    const expression = located(source, () => parseExpression(tokenizeExpression(source), source, this.registry, this.limits.maxNestingDepth));
    const compiled = new CompiledExpression(this, source, expression);
    this.expressions.set(source, compiled);
    return compiled;
  }

  /** Renders `source` to text. */
  render(source: string, context: TemplateContext, options?: RenderOptions): string {
    return this.compile(source).render(context, options);
  }

  /** Evaluates a bare expression to its value (see CompiledExpression.evaluate). */
  evaluate(source: string, context: TemplateContext, options?: RenderOptions): unknown {
    return this.compileExpression(source).evaluate(context, options);
  }

  /** A meter over this environment's limits, for renders that should share one budget. */
  meter(): WorkMeter {
    return new WorkMeter(this.limits);
  }

  /** @internal What a render of this environment needs. */
  renderSettings(source: string, options: RenderOptions | undefined): RenderSettings {
    const lenient = options?.undefined === undefined ? this.lenient : options.undefined === 'lenient';
    return { source, registry: this.registry, limits: this.limits, lenient, meter: options?.meter };
  }

  /** Parsed templates hold the filters and tests they resolved: a change to those drops them. */
  private forget(): void {
    this.templates.clear();
    this.expressions.clear();
  }
}


export class Template {
  /** The source after Jinja's newline handling; error positions refer to it. */
  readonly source: string;
  /** The template is one `{{ expression }}` with nothing but whitespace around it. */
  readonly isSingleExpression: boolean;
  private readonly statements: readonly Statement[];
  private readonly environment: Environment;

  constructor(environment: Environment, source: string, statements: readonly Statement[]) {
    this.environment = environment;
    this.source = source;
    this.statements = statements;
    this.isSingleExpression = loneExpression(statements) !== undefined;
  }

  render(context: TemplateContext, options?: RenderOptions): string {
    return located(this.source, () => new Render(this.environment.renderSettings(this.source, options), context).run(this.statements));
  }

  /**
   * For a template that is one `{{ expression }}`, the expression's value with its type (an int
   * stays an int, a dict a dict; undefined is '' when allowed); for any other template, the text.
   */
  renderValue(context: TemplateContext, options?: RenderOptions): unknown {
    const lone = loneExpression(this.statements);
    if (lone === undefined) return this.render(context, options);
    return located(this.source, () => {
      const value = new Render(this.environment.renderSettings(this.source, options), context).evaluate(lone.value, lone.start);
      return value === undefined ? '' : value;
    });
  }
}

export class CompiledExpression {
  readonly source: string;
  private readonly expression: Expression;
  private readonly environment: Environment;

  constructor(environment: Environment, source: string, expression: Expression) {
    this.environment = environment;
    this.source = source;
    this.expression = expression;
  }

  /** The expression's value; JavaScript undefined when it is undefined and undefined values are allowed. */
  evaluate(context: TemplateContext, options?: RenderOptions): unknown {
    return located(this.source, () => new Render(this.environment.renderSettings(this.source, options), context).evaluate(this.expression));
  }
}

function loneExpression(statements: readonly Statement[]): Extract<Statement, { type: 'print' }> | undefined {
  const meaningful = statements.filter((statement) => !(statement.type === 'text' && statement.text.trim() === ''));
  const [only] = meaningful;
  return meaningful.length === 1 && only!.type === 'print' ? only : undefined;
}

/** Runs a parse or render, giving a TemplateError its line and column in `source`. */
function located<T>(source: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof TemplateError) throw error.locate(source);
    if (error instanceof RangeError) {
      // A stack or string-size overflow inside a filter or function: report it as a limit, never crash the embedder.
      throw new TemplateError('limit', `the template exceeded a runtime limit: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
