import { PackrunError, isPackrunError } from '../errors.ts';
import type { DecryptRights, ParameterOrigin } from '../execution.ts';
import type { SiteConfig } from '../pack/site-config.ts';
import type { ActionMeta, ParameterSpec } from '../pack/types.ts';
import { buildDatastoreSnapshot, datastoreReferences, mentionsDecrypt, type KeyValueLookup } from '../template/datastore-snapshot.ts';
import { isTemplate, renderValue } from '../template/render.ts';
import { coerceCliValue, unknownParameter } from './cli-values.ts';
import { jobEnvironment } from './job-environment.ts';
import { compileSchema, describeSchemaErrors } from './json-schema.ts';
import { dependencyOrder, templateVariables } from './template-dependencies.ts';

/**
 * What the given values are, which decides whether the templates in them are rendered:
 * - `data` (the default): values a rule rendered over a trigger payload, results, datastore values.
 *   They are inserted as they are: text holding `{{` stays that text.
 * - `caller`: values a caller typed (API, CLI). Their templates are rendered once, with the
 *   caller's own rights: `kv` is the caller's view of the datastore (its `st2kv.user` is the
 *   caller's), `config` the pack's config as the caller may see it, and `decrypt_kv` over a scope
 *   whose secrets the caller may not decrypt is refused.
 */
export type GivenValues =
  | { from: 'data' }
  | { from: 'caller'; mayDecrypt: DecryptRights; kv?: KeyValueLookup; config?: Record<string, unknown> };

/**
 * GivenValues for an execution whose parameters came from `origin`: a caller's templates see the
 * caller's datastore view, and the pack's config with its secrets masked unless the caller may
 * decrypt system secrets (config secrets are the operator's, like them).
 */
export function givenValuesFrom(origin: ParameterOrigin, callerKv: KeyValueLookup, siteConfig: Pick<SiteConfig, 'values' | 'masked'>): GivenValues {
  if (origin.from === 'data') return origin;
  return { from: 'caller', mayDecrypt: origin.mayDecrypt, kv: callerKv, config: origin.mayDecrypt.system ? siteConfig.values : siteConfig.masked };
}

export interface ResolveParametersOptions {
  action: ActionMeta;
  /** Parameters as given (API, CLI, rule); whether templates in them render is `given`'s to say. */
  input: Record<string, unknown>;
  given?: GivenValues;
  /** The action's own pack's site config: `config_context` in its parameter defaults. */
  config?: Record<string, unknown>;
  /** Datastore for `st2kv.*` in the action's parameter defaults: the pack's scope (packScopedLookup). */
  kv?: KeyValueLookup;
  /** Seen by templates as `action_context` (user, execution id, rule, trigger instance...). */
  actionContext?: Record<string, unknown>;
}

export interface ResolvedParameters {
  /** Every parameter that has a value, runner and action ones together. */
  parameters: Record<string, unknown>;
  /** Those defined by the runner (`cmd`, `env`, `timeout`...): they configure the runner. */
  runnerParameters: Record<string, unknown>;
  /** Those defined by the action only: they are what the action's code receives. */
  actionParameters: Record<string, unknown>;
  /** Names of secret parameters, to mask wherever parameters are stored or shown. */
  secretNames: string[];
}

/** What StackStorm shows in place of a secret value. */
export const maskedValue = '********';

/**
 * Computes the final parameters of an execution as StackStorm does (st2common/util/param.py):
 * unknown names are refused (the schema has additionalProperties false), an immutable parameter
 * cannot be given, defaults fill the gaps (a given null too), templates are rendered over
 * `st2kv`, `config_context`, `action_context` and the other parameters in dependency order (a cycle
 * is an error), rendered strings are cast to the parameter's type, and then each value is
 * validated against its JSON schema (draft 4), with `null` allowed for an optional parameter.
 * Unlike StackStorm, whose templates are rendered over whatever a value holds: the defaults are
 * rendered in the pack's scope (its own config and datastore view), given values only when they
 * are a caller's own (see GivenValues), and never twice. Every failure is PARAMETER_INVALID naming
 * the parameter; an `env` runner parameter is checked by jobEnvironment.
 */
export async function resolveParameters(options: ResolveParametersOptions): Promise<ResolvedParameters> {
  const { action, input } = options;
  const given = options.given ?? { from: 'data' };
  const specs = action.parameters;

  for (const name of Object.keys(input).sort()) {
    const spec = specs[name];
    if (!spec) throw unknownParameter(action, name);
    if (spec.immutable && input[name] !== undefined && input[name] !== null) {
      throw parameterError(action, name, 'is immutable and cannot be given a value', { hint: `remove ${name}; its value is fixed by the action` });
    }
  }

  const values = new Map<string, unknown>();
  const givenNames = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    const value = input[name];
    // As StackStorm's assign_default_values: a null given where a default exists takes the default.
    if (value !== undefined && !(value === null && spec.hasDefault)) {
      values.set(name, value);
      givenNames.add(name);
    }
    // A copy: the action's metadata is cached and shared by executions, which must not alter it.
    else if (spec.hasDefault) values.set(name, typeof spec.default === 'object' && spec.default !== null ? structuredClone(spec.default) : spec.default);
  }
  const rendered = (name: string): boolean => !givenNames.has(name) || given.from === 'caller';

  const names = new Set(values.keys());
  const dependencies = new Map<string, Set<string>>();
  for (const [name, value] of values) dependencies.set(name, rendered(name) ? templateVariables(value, new Set(Object.keys(specs))) : new Set());
  const ordered = dependencyOrder(dependencies);
  if ('cycle' in ordered) {
    throw new PackrunError('PARAMETER_INVALID', `parameters of ${action.ref} depend on each other in a cycle: ${ordered.cycle.join(' -> ')}`, {
      hint: 'break the cycle in the parameter defaults',
      details: { action: action.ref, parameter: ordered.cycle[0], cycle: ordered.cycle },
    });
  }

  const defaults = [...values].filter(([name]) => !givenNames.has(name)).map(([, value]) => value);
  const packContext = await templateContext(options.config, options.kv, defaults, undefined, options.actionContext);
  const callerContext =
    given.from === 'caller' ? await callerTemplateContext(action, given, [...values].filter(([name]) => givenNames.has(name)), options.actionContext) : undefined;

  const resolved: Record<string, unknown> = {};
  for (const name of ordered.order) {
    if (!names.has(name)) continue;
    const spec = specs[name]!;
    let value = values.get(name);
    const templated = rendered(name) && containsTemplate(value);
    if (templated) {
      const context = givenNames.has(name) ? callerContext! : packContext;
      try {
        // Parameters first: a parameter named like a context variable must not replace it.
        value = renderValue(value, { ...resolved, ...context }, { what: `parameter "${name}" of ${action.ref}` });
      } catch (error) {
        if (!isPackrunError(error)) throw error;
        throw parameterError(action, name, `could not be rendered: ${error.message}`, { cause: error });
      }
    }
    resolved[name] = castToType(action, spec, value, templated);
  }

  for (const [name, spec] of Object.entries(specs)) validate(action, spec, resolved, name);
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.runnerParameter && name === 'env') jobEnvironment(resolved[name], { action: action.ref, parameter: name });
  }

  // Declaration order, not rendering order: named shell arguments come out in the order written.
  const parameters: Record<string, unknown> = {};
  const runnerParameters: Record<string, unknown> = {};
  const actionParameters: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (!(name in resolved)) continue;
    parameters[name] = resolved[name];
    (spec.runnerParameter ? runnerParameters : actionParameters)[name] = resolved[name];
  }
  return {
    parameters,
    runnerParameters,
    actionParameters,
    secretNames: Object.values(specs).filter((spec) => spec.secret).map((spec) => spec.name).sort(),
  };
}

/** The variables of one scope's templates: its config, its datastore view (the keys `templates` mention) and the action context. */
async function templateContext(
  config: Record<string, unknown> | undefined,
  kv: KeyValueLookup | undefined,
  templates: unknown[],
  decrypt: boolean | undefined,
  actionContext: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const context: Record<string, unknown> = { config_context: config ?? {}, action_context: actionContext ?? {} };
  if (kv) context['st2kv'] = await buildDatastoreSnapshot(templates, kv, decrypt === undefined ? {} : { decrypt });
  return context;
}

/**
 * A caller's templates see the caller's datastore view, decrypted only in the scopes the caller
 * may decrypt; one that asks to decrypt over another scope is refused, naming the parameter.
 */
async function callerTemplateContext(
  action: ActionMeta,
  given: Extract<GivenValues, { from: 'caller' }>,
  givenValues: Array<[string, unknown]>,
  actionContext: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const { mayDecrypt } = given;
  for (const [name, value] of givenValues) {
    if (!containsTemplate(value) || !mentionsDecrypt(value)) continue;
    const denied = datastoreReferences(value).find((reference) => !mayDecrypt[reference.scope]);
    if (denied) {
      throw parameterError(action, name, `uses decrypt_kv, but the caller may not decrypt ${denied.scope}-scoped datastore secrets`, {
        hint: 'ask someone allowed to decrypt them, or pass the value itself',
      });
    }
  }
  const callerKv = given.kv;
  const kv: KeyValueLookup | undefined = callerKv && {
    get: (key, options) => callerKv.get(key, { ...options, decrypt: options.decrypt && mayDecrypt[options.scope] }),
  };
  return templateContext(given.config, kv, givenValues.map(([, value]) => value), undefined, actionContext);
}

/** A copy of `parameters` with the secret ones replaced by `********`. */
export function maskSecrets(parameters: Record<string, unknown>, secretNames: readonly string[]): Record<string, unknown> {
  const masked = { ...parameters };
  for (const name of secretNames) if (name in masked && masked[name] !== null && masked[name] !== undefined) masked[name] = maskedValue;
  return masked;
}

function containsTemplate(value: unknown): boolean {
  if (isTemplate(value)) return true;
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(containsTemplate);
  return false;
}

/** StackStorm casts string values to the parameter's type after rendering; an empty render is no value. */
function castToType(action: ActionMeta, spec: ParameterSpec, value: unknown, templated: boolean): unknown {
  if (typeof value !== 'string' || spec.type === undefined || spec.type === 'string') return value;
  if (value === '' && templated) return null;
  try {
    return coerceCliValue(spec, value);
  } catch (error) {
    if (!isPackrunError(error)) throw error;
    throw parameterError(action, spec.name, `${JSON.stringify(spec.secret ? maskedValue : value)} is not of type ${spec.type}`);
  }
}

function validate(action: ActionMeta, spec: ParameterSpec, resolved: Record<string, unknown>, name: string): void {
  const present = name in resolved;
  const value = resolved[name];
  const nullable = !spec.required || (spec.hasDefault && spec.default === null);
  if (!present || (value === null && !nullable)) {
    if (spec.required) throw parameterError(action, name, 'is required', { hint: `give ${name}=<value>` });
    return;
  }
  if (value === null) return;
  const check = compileSchema(spec.schema);
  if (!check(value)) {
    throw parameterError(action, name, describeSchemaErrors(check.errors), {
      details: { value: spec.secret ? maskedValue : value },
    });
  }
}

function parameterError(
  action: ActionMeta,
  name: string,
  problem: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): PackrunError {
  return new PackrunError('PARAMETER_INVALID', `parameter "${name}" of ${action.ref} ${problem}`, {
    hint: extra.hint ?? `the parameters of ${action.ref} are defined in ${action.file}`,
    details: { action: action.ref, parameter: name, ...extra.details },
    cause: extra.cause,
  });
}
