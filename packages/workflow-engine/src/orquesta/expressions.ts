import { st2Filters } from '@packrun/core';
import { Environment, TemplateError, pyStr, type CallArguments, type CallContext as JinjaCallContext, type FilterImpl, type WorkMeter as JinjaMeter } from '@packrun/jinja';
import { YaqlEngine, YaqlError, type WorkMeter as YaqlMeter } from '@packrun/yaql';
import { KeyValueNeeded, type Json } from '../driver.ts';
import { FunctionFailure, orquestaFunctions, type EvaluationScope } from './functions.ts';

/**
 * Orquesta's two expression languages over a workflow's data: YAQL between `<% %>` and Jinja
 * between `{{ }}` (or with `{% %}` blocks). A string that is one expression alone yields the
 * expression's value with its type; a string with text around its expressions yields text.
 *
 * Only strings written in the workflow definition are evaluated. What an evaluation returns is
 * data: a result or an input holding `<% %>` or `{{ }}` is never evaluated again (orquesta does
 * evaluate such strings again; Packrun does not, see test/security/orquesta-data-is-not-code).
 */

const yaqlStatement = /<%[\s\S]*?%>/g;
const jinjaStatement = /{{[\s\S]*?}}/g;
const jinjaBlock = /{%[\s\S]*?%}/;

type Language = 'yaql' | 'jinja';

export class ExpressionFailure extends Error {
  constructor(message: string, readonly expression: string) {
    super(message);
    this.name = 'ExpressionFailure';
  }
}

interface StatementProblem {
  language: Language;
  expression: string;
  message: string;
}

function languageOf(text: string): Language | undefined {
  if (/<%[\s\S]*?%>/.test(text)) return 'yaql';
  if (/{{[\s\S]*?}}/.test(text) || jinjaBlock.test(text)) return 'jinja';
  return undefined;
}

export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && languageOf(value) !== undefined;
}

const yaqlTypeNames: Record<string, string> = {
  syntax: 'YaqlGrammarException',
  name: 'NoFunctionRegisteredException',
  type: 'NoMatchingMethodException',
  lookup: 'KeyError',
  value: 'ValueError',
  unsafe: 'YaqlUnsafeException',
  limit: 'YaqlLimitException',
  call: 'Exception',
};

const jinjaTypeNames: Record<string, string> = {
  syntax: 'TemplateSyntaxError',
  undefined: 'UndefinedError',
  type: 'TypeError',
  unsafe: 'SecurityError',
  limit: 'TemplateLimitError',
  call: 'Exception',
};

function strip(statement: string): string {
  return statement.slice(2, -2).trim();
}

export class Expressions {
  private readonly yaql = new YaqlEngine();
  private readonly jinja = new Environment({ trimBlocks: true, lstripBlocks: true, undefined: 'strict' });
  /** The scope functions read while an evaluation runs (evaluations are synchronous). */
  private scope: EvaluationScope = { vars: {} };
  /** The budget every evaluation of the current step draws on (see withStepBudget). */
  private budget: { yaql: YaqlMeter; jinja: JinjaMeter } | undefined;

  constructor() {
    for (const [name, impl] of orquestaFunctions) {
      this.yaql.addFunction(name, (args) => this.call(() => impl(args, this.scope), (message) => new YaqlError('value', message)));
      this.jinja.addFunction(name, (args) => this.call(() => impl(args, this.scope), (message) => new TemplateError('call', message)));
    }
    // StackStorm registers its data, regex, path, time and version functions with orquesta, which
    // makes each a Jinja function and filter alike (`json_dump(x)` and `x | json_dump`) and a YAQL
    // function (`json_dump($x)`).
    for (const [name, filter] of st2Functions()) {
      this.jinja.addFilter(name, filter);
      this.jinja.addFunction(name, (args: CallArguments, context) =>
        filter(args.positional[0], { positional: args.positional.slice(1), keywords: args.keywords }, context),
      );
      this.yaql.addFunction(name, (args, context) =>
        filter(args.positional[0], { positional: args.positional.slice(1), keywords: args.keywords }, {
          // The filters charge the same kinds of work to whichever meter they are given.
          meter: context.meter as unknown as JinjaCallContext['meter'],
          lenient: false,
          applyFilter: () => {
            throw new YaqlError('call', `${name}() cannot apply a filter in YAQL`);
          },
          applyTest: () => {
            throw new YaqlError('call', `${name}() cannot apply a test in YAQL`);
          },
          newDict: () => ({}),
        }),
      );
    }
    this.jinja.addFilter('json', (value) => this.call(() => orquestaFunctions.get('json')!({ positional: [value], keywords: {} }, this.scope), (message) => new TemplateError('call', message)));
  }

  /**
   * Runs one driver step with one budget of work and time per language for all its evaluations:
   * each evaluation is bounded, and so is their sum, so a definition that asks for a costly
   * expression per item of a long list fails the step instead of holding the engine for hours.
   */
  withStepBudget<T>(run: () => T): T {
    const previous = this.budget;
    this.budget = { yaql: this.yaql.meter(), jinja: this.jinja.meter() };
    try {
      return run();
    } finally {
      this.budget = previous;
    }
  }

  private call(run: () => unknown, wrap: (message: string) => Error): unknown {
    try {
      return run();
    } catch (error) {
      if (error instanceof FunctionFailure) throw wrap(`${error.pythonType}: ${error.message}`);
      throw error;
    }
  }

  /**
   * Evaluates every expression in a value from the workflow definition (strings, and strings
   * inside lists and dicts). Throws ExpressionFailure with orquesta's message.
   */
  evaluate(value: Json, scope: EvaluationScope): Json {
    const previous = this.scope;
    this.scope = scope;
    try {
      return this.walk(value);
    } catch (error) {
      // The runtime loads a datastore key the step needs and runs the step again.
      const needed = keyValueNeeded(error);
      if (needed !== undefined) throw needed;
      throw error;
    } finally {
      this.scope = previous;
    }
  }

  private walk(value: Json): Json {
    if (typeof value === 'string') return this.evaluateText(value);
    if (Array.isArray(value)) return value.map((entry) => this.walk(entry));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, Json> = {};
      for (const [key, entry] of Object.entries(value)) Object.defineProperty(out, key, { value: this.walk(entry), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return value;
  }

  private evaluateText(text: string): Json {
    const language = languageOf(text);
    if (language === 'yaql') return this.evaluateYaql(text);
    if (language === 'jinja') return this.evaluateJinja(text);
    return text;
  }

  private evaluateYaql(text: string): Json {
    const statements = text.match(yaqlStatement) ?? [];
    // As orquesta: only a string that is exactly one expression keeps the value's type; any text
    // around it, whitespace included, makes text.
    const lone = statements.length === 1 && text === statements[0];
    const values = statements.map((statement) => this.yaqlValue(statement));
    if (lone) return values[0]!;
    let index = 0;
    return text.replace(yaqlStatement, () => pyStr(values[index++]));
  }

  private yaqlValue(statement: string): Json {
    try {
      // `$` is the task's context, as in orquesta (`<% $.name %>` is `<% ctx().name %>`).
      const root = this.scope.vars;
      return this.yaql.evaluate(strip(statement), this.budget === undefined ? { root, variables: {} } : { root, variables: {}, meter: this.budget.yaql }) as Json;
    } catch (error) {
      const needed = keyValueNeeded(error);
      if (needed !== undefined) throw needed;
      if (!(error instanceof YaqlError)) throw error;
      if (error.kind === 'lookup' && error.key !== undefined) {
        throw new ExpressionFailure(`YaqlEvaluationException: Unable to resolve key '${pyStr(error.key)}' in expression '${statement}' from context.`, statement);
      }
      const detail = /^[A-Z]\w+: /.test(error.detail) ? error.detail : `${yaqlTypeNames[error.kind] ?? 'Exception'}: ${error.detail}`;
      throw new ExpressionFailure(`YaqlEvaluationException: Unable to evaluate expression '${statement}'. ${detail}`, statement);
    }
  }

  /**
   * With a `{% %}` block the whole text renders as a template; otherwise each `{{ }}` is evaluated
   * on its own and, unless it is the whole string, put in the text as Python prints it (orquesta's
   * way, which keeps the text around the expressions exactly, trailing newline included).
   */
  private evaluateJinja(text: string): Json {
    const options = this.budget === undefined ? {} : { meter: this.budget.jinja };
    if (jinjaBlock.test(text)) return this.jinjaValue(text, () => this.jinja.compile(text).render({}, options));
    const statements = text.match(jinjaStatement) ?? [];
    const values = statements.map((statement) => this.jinjaValue(statement, () => this.jinja.compile(statement).renderValue({}, options) as Json));
    if (statements.length === 1 && text === statements[0]) return values[0]!;
    let index = 0;
    return text.replace(jinjaStatement, () => pyStr(values[index++]));
  }

  private jinjaValue(where: string, run: () => Json): Json {
    try {
      return run();
    } catch (error) {
      const needed = keyValueNeeded(error);
      if (needed !== undefined) throw needed;
      if (!(error instanceof TemplateError)) throw error;
      const detail = /^[A-Z]\w+: /.test(error.detail) ? error.detail : `${jinjaTypeNames[error.kind] ?? 'Exception'}: ${error.detail}`;
      throw new ExpressionFailure(`JinjaEvaluationException: Unable to evaluate expression '${where}'. ${detail}`, where);
    }
  }

  /** Syntax problems of every expression in a string, before anything runs. */
  validate(text: string): StatementProblem[] {
    const language = languageOf(text);
    const problems: StatementProblem[] = [];
    if (language === 'yaql') {
      for (const statement of text.match(yaqlStatement) ?? []) {
        try {
          this.yaql.compile(strip(statement));
        } catch (error) {
          if (!(error instanceof YaqlError)) throw error;
          problems.push({ language, expression: statement, message: `Parse error: ${error.detail}` });
        }
      }
    } else if (language === 'jinja') {
      try {
        this.jinja.compile(text);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        problems.push({ language, expression: text, message: error.detail });
      }
    }
    return problems;
  }

  /**
   * The `ctx()` variables a string reads, by name (undefined entries mean the whole context or a
   * computed name). YAQL is read from its syntax tree; Jinja by orquesta's own patterns.
   */
  contextReads(text: string): string[] {
    const language = languageOf(text);
    const names: string[] = [];
    if (language === 'yaql') {
      for (const statement of text.match(yaqlStatement) ?? []) {
        let compiled;
        try {
          compiled = this.yaql.compile(strip(statement));
        } catch {
          continue;
        }
        for (const read of compiled.namedReads('ctx')) if (read.name !== undefined && !read.dynamic) names.push(read.name);
      }
    } else if (language === 'jinja') {
      const patterns = [/(?<=\bctx\(\)\.)([a-zA-Z0-9_-]+)\b(?!\()/g, /\bctx\(([a-zA-Z0-9_-]+)\)/g, /\bctx\('([a-zA-Z0-9_-]+)'\)/g, /\bctx\("([a-zA-Z0-9_-]+)"\)/g];
      for (const pattern of patterns) for (const match of text.matchAll(pattern)) names.push(match[1]!);
    }
    return names;
  }
}

function keyValueNeeded(error: unknown): KeyValueNeeded | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (current instanceof KeyValueNeeded) return current;
  }
  return undefined;
}

/** st2's functions for orquesta: its Jinja filters, and the names orquesta adds for some of them. */
function st2Functions(): [string, FilterImpl][] {
  const aliases: Record<string, string> = { json_dump: 'to_json_string', json_parse: 'from_json_string', yaml_dump: 'to_yaml_string', yaml_parse: 'from_yaml_string' };
  const functions = Object.entries(st2Filters).filter(([name]) => name !== 'decrypt_kv');
  for (const [alias, name] of Object.entries(aliases)) functions.push([alias, st2Filters[name]!]);
  return functions;
}
