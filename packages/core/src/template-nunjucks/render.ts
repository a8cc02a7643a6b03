import nunjucks from 'nunjucks';
import { PackrunError } from '../errors.ts';
import { buildDatastoreSnapshot, type KeyValueLookup } from './datastore-snapshot.ts';
import { jinjaEnvironment, withJinjaRuntime } from './jinja-environment.ts';
import { noneMagicValue } from './st2-filters.ts';

/** Variables a template sees: `trigger`, `st2kv`, `config_context`, `action_context`, parameters... */
export type TemplateContext = Record<string, unknown>;

export interface RenderOptions {
  /** Names what is being rendered in errors, e.g. `parameter "cmd" of core.local`. */
  what?: string;
  /** Render undefined values as empty instead of failing (jinja2.Undefined instead of StrictUndefined). */
  allowUndefined?: boolean;
}

/** A string that is exactly one `{{ expression }}`: its value keeps its type. */
const singleExpression = /^\s*\{\{([\s\S]*)\}\}\s*$/;

export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

const compiled = new Map<string, nunjucks.Template>();
const maxCompiled = 2000;

function compile(source: string, allowUndefined: boolean): nunjucks.Template {
  const key = `${allowUndefined ? 'l' : 's'}${source}`;
  let template = compiled.get(key);
  if (!template) {
    // eager compile so syntax errors surface here, naming the template
    const created = nunjucks.compile(source, jinjaEnvironment(allowUndefined));
    withJinjaRuntime(() => (created as unknown as { compile(): void }).compile());
    template = created;
    if (compiled.size >= maxCompiled) compiled.clear();
    compiled.set(key, template);
  }
  return template;
}

function templateError(error: unknown, source: string, what: string | undefined): PackrunError {
  const raw = error instanceof Error ? error.message : String(error);
  // nunjucks prefixes "(unknown path)" and repeats "Template render error"; keep the useful part.
  const message = raw.replace(/\(unknown path\)\s*/g, '').replace(/^Template render error:\s*/i, '').replace(/(^|\] )Error: /, '$1').replace(/\s+/g, ' ').trim();
  return new PackrunError('TEMPLATE_INVALID', `${what ?? 'template'}: ${nameUndefined(message, source)}`, {
    hint: 'templates use Jinja syntax over the given context (st2kv.system.*, config_context.*, trigger.*, parameters)',
    details: { ...(what ? { what } : {}), template: source.length > 500 ? `${source.slice(0, 500)}...` : source },
    cause: error,
  });
}

/** Nunjucks reports an undefined output by position only; name the expression found there. */
function nameUndefined(message: string, source: string): string {
  const at = /^\[Line (\d+), Column (\d+)\] a value in the template is undefined$/.exec(message);
  if (!at) return message;
  const line = source.split('\n')[Number(at[1]) - 1] ?? '';
  const start = Number(at[2]) - 1;
  const end = line.indexOf('}}', start);
  if (!line.startsWith('{{', start) || end < 0) return message;
  return `"${line.slice(start + 2, end).trim()}" is undefined (line ${at[1]}, column ${at[2]})`;
}

function withContext(context: TemplateContext): TemplateContext {
  // StackStorm exposes the whole context as `__context` too, for keys that are not identifiers.
  return { __context: context, ...context };
}

/** Renders a template to a string. Throws TEMPLATE_INVALID naming `options.what`. */
export function renderTemplate(template: string, context: TemplateContext, options: RenderOptions = {}): string {
  try {
    const compiledTemplate = compile(template, options.allowUndefined === true);
    return withJinjaRuntime(() => compiledTemplate.render(withContext(context)));
  } catch (error) {
    throw templateError(error, template, options.what);
  }
}

/**
 * Renders every template string inside `value` (walking objects and arrays). A string that is
 * exactly one `{{ expression }}` becomes the expression's value with its type (an int stays an
 * int, a dict a dict); other template strings become strings; `use_none` yields null.
 */
export function renderValue(value: unknown, context: TemplateContext, options: RenderOptions = {}): unknown {
  if (typeof value === 'string') return renderString(value, context, options);
  if (Array.isArray(value)) return value.map((item, index) => renderValue(item, context, childOptions(options, `[${index}]`)));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renderValue(item, context, childOptions(options, `.${key}`))]),
    );
  }
  return value;
}

/** renderValue after fetching the datastore keys the templates mention (see datastore-snapshot.ts). */
export async function renderValueWithDatastore(
  value: unknown,
  context: TemplateContext,
  options: RenderOptions & { kv: KeyValueLookup; decrypt?: boolean },
): Promise<unknown> {
  const { kv, decrypt, ...renderOptions } = options;
  const st2kv = await buildDatastoreSnapshot(value, kv, decrypt === undefined ? {} : { decrypt });
  return renderValue(value, { ...context, st2kv }, renderOptions);
}

function childOptions(options: RenderOptions, suffix: string): RenderOptions {
  return options.what === undefined ? options : { ...options, what: options.what + suffix };
}

function renderString(source: string, context: TemplateContext, options: RenderOptions): unknown {
  if (!isTemplate(source)) return source;
  const single = singleExpression.exec(source);
  if (single && !/\{\{|\}\}|\{%|\{#/.test(single[1]!)) {
    return fromMagic(evaluateExpression(single[1]!, source, context, options));
  }
  return fromMagic(renderTemplate(source, context, options));
}

const captureName = '__packrun_capture';

/** Evaluates `{{ expr }}` to its value by handing it to a capturing filter instead of printing it. */
function evaluateExpression(expression: string, source: string, context: TemplateContext, options: RenderOptions): unknown {
  const holder: { value?: unknown } = {};
  try {
    const template = compile(`{{ (${expression}) | ${captureFilter} }}`, options.allowUndefined === true);
    withJinjaRuntime(() => template.render({ ...withContext(context), [captureName]: holder }));
  } catch (error) {
    throw templateError(error, source, options.what);
  }
  if (holder.value === undefined) {
    if (options.allowUndefined) return '';
    throw templateError(new Error(`"${expression.trim()}" is undefined`), source, options.what);
  }
  return holder.value instanceof String ? holder.value.valueOf() : holder.value;
}

function fromMagic(value: unknown): unknown {
  return value === noneMagicValue ? null : value;
}

const captureFilter = '__packrun_capture_value';
for (const allowUndefined of [false, true]) {
  jinjaEnvironment(allowUndefined).addFilter(captureFilter, function (this: { ctx: Record<string, unknown> }, value: unknown) {
    (this.ctx[captureName] as { value?: unknown }).value = value;
    return '';
  });
}
