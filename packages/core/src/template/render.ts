import { TemplateError, type WorkMeter } from '@packrun/jinja';
import { PackrunError } from '../errors.ts';
import { buildDatastoreSnapshot, type KeyValueLookup } from './datastore-snapshot.ts';
import { stackstormEnvironment } from './stackstorm-environment.ts';
import { noneMagicValue } from './st2-filters.ts';

/** Variables a template sees: `trigger`, `st2kv`, `config_context`, `action_context`, parameters... */
export type TemplateContext = Record<string, unknown>;

export interface RenderOptions {
  /** Names what is being rendered in errors, e.g. `parameter "cmd" of core.local`. */
  what?: string;
  /** Render undefined values as empty instead of failing (jinja2.Undefined instead of StrictUndefined). */
  allowUndefined?: boolean;
}

export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

/** Renders a template to a string. Throws TEMPLATE_INVALID naming `options.what`. */
export function renderTemplate(template: string, context: TemplateContext, options: RenderOptions = {}): string {
  try {
    return stackstormEnvironment.compile(template).render(withContext(context), renderOptions(options));
  } catch (error) {
    throw templateError(error, template, options.what);
  }
}

/**
 * Renders every template string inside `value` (walking objects and arrays). A string that is
 * exactly one `{{ expression }}` becomes the expression's value with its type (an int stays an
 * int, a dict a dict); other template strings become strings; `use_none` yields null. All the
 * strings of one value share one budget of work and time (the template limits), so a value made
 * of many templates costs no more than one.
 */
export function renderValue(value: unknown, context: TemplateContext, options: RenderOptions = {}): unknown {
  return renderWithin(value, context, options, stackstormEnvironment.meter());
}

function renderWithin(value: unknown, context: TemplateContext, options: RenderOptions, meter: WorkMeter): unknown {
  if (typeof value === 'string') return renderString(value, context, options, meter);
  if (Array.isArray(value)) return value.map((item, index) => renderWithin(item, context, childOptions(options, `[${index}]`), meter));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renderWithin(item, context, childOptions(options, `.${key}`), meter)]),
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

function renderString(source: string, context: TemplateContext, options: RenderOptions, meter: WorkMeter): unknown {
  if (!isTemplate(source)) return source;
  let value: unknown;
  try {
    value = stackstormEnvironment.compile(source).renderValue(withContext(context), { ...renderOptions(options), meter });
  } catch (error) {
    throw templateError(error, source, options.what);
  }
  return value === noneMagicValue ? null : value;
}

function renderOptions(options: RenderOptions): { undefined: 'strict' | 'lenient' } {
  return { undefined: options.allowUndefined === true ? 'lenient' : 'strict' };
}

function withContext(context: TemplateContext): TemplateContext {
  // StackStorm exposes the whole context as `__context` too, for keys that are not identifiers.
  return { __context: context, ...context };
}

function templateError(error: unknown, source: string, what: string | undefined): PackrunError {
  const message = error instanceof Error ? error.message : String(error);
  const limit = error instanceof TemplateError ? error.limit : undefined;
  return new PackrunError('TEMPLATE_INVALID', `${what ?? 'template'}: ${message}`, {
    hint:
      limit === undefined
        ? 'templates use Jinja syntax over the given context (st2kv.system.*, config_context.*, trigger.*, parameters)'
        : `the template exceeded the limit ${limit}; templates are bounded in work, time, output and size (docs/rules.md)`,
    details: { ...(what ? { what } : {}), ...(limit ? { limit } : {}), template: source.length > 500 ? `${source.slice(0, 500)}...` : source },
    cause: error,
  });
}
