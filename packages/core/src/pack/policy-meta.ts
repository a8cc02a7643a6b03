import type { ParsedMeta } from './action-meta.ts';
import { fieldReader, unknownKeys } from './meta-fields.ts';
import { typeOf } from './pack-meta.ts';
import { isPlainObject } from './yaml-file.ts';

/**
 * StackStorm's action policy types (st2common/policies/meta/*.yaml), with their parameters as
 * st2 declares them.
 */
export const policyTypes = ['action.concurrency', 'action.concurrency.attr', 'action.retry'] as const;
export type PolicyType = (typeof policyTypes)[number];

export interface ConcurrencyPolicyParameters {
  threshold: number;
  /** What happens to an execution over the threshold: it waits (`delayed`) or ends `canceled`. */
  action: 'delay' | 'cancel';
  /** action.concurrency.attr only: the parameters whose values make separate counts. */
  attributes?: string[];
}

export interface RetryPolicyParameters {
  retry_on: 'failure' | 'timeout';
  max_retry_count: number;
  /** Seconds before the retry is queued. */
  delay: number;
}

export type PolicyParameters = ConcurrencyPolicyParameters | RetryPolicyParameters;

export interface PolicyMeta {
  /** `<pack>.<name>` */
  ref: string;
  name: string;
  pack: string;
  description?: string;
  enabled: boolean;
  /** The action the policy applies to. */
  resourceRef: string;
  policyType: PolicyType;
  parameters: PolicyParameters;
  file: string;
  raw: Record<string, unknown>;
}

const knownKeys = new Set(['name', 'pack', 'description', 'enabled', 'resource_ref', 'policy_type', 'parameters', 'ref', 'uid', 'id', 'metadata_file']);

/**
 * Parses one `policies/*.yaml`; throws POLICY_INVALID naming the file and field. A policy applies
 * only to an action of its own pack: StackStorm lets a pack's policy cancel, delay or re-run any
 * pack's action, which here would let one pack stop or repeat another's work.
 */
export function parsePolicyMeta(value: unknown, where: { file: string; pack: string }): ParsedMeta<PolicyMeta> {
  const { file, pack } = where;
  if (!isPlainObject(value)) return fieldReader('POLICY_INVALID', file, {}).fail('', `must be a mapping of fields, got ${typeOf(value)}`);
  const read = fieldReader('POLICY_INVALID', file, value);
  const name = read.requiredString('name');
  if (name.includes('/') || name.includes('\0')) read.fail('name', 'must not contain "/" or NUL');
  read.samePack(pack);
  const resourceRef = read.requiredString('resource_ref');
  const dot = resourceRef.indexOf('.');
  if (dot <= 0 || dot === resourceRef.length - 1) read.fail('resource_ref', `"${resourceRef}" is not an action ref (<pack>.<name>)`);
  if (resourceRef.slice(0, dot) !== pack) {
    read.fail('resource_ref', `"${resourceRef}" is an action of pack "${resourceRef.slice(0, dot)}"; a policy of pack "${pack}" applies only to its own actions`);
  }
  const policyType = read.requiredString('policy_type');
  if (!(policyTypes as readonly string[]).includes(policyType)) read.fail('policy_type', `"${policyType}" is not one of ${policyTypes.join(', ')}`);
  const parameters = read.mapping('parameters') ?? {};
  const meta: PolicyMeta = {
    ref: `${pack}.${name}`,
    name,
    pack,
    enabled: read.flag('enabled', true),
    resourceRef,
    policyType: policyType as PolicyType,
    parameters: policyType === 'action.retry' ? retryParameters(parameters, read.fail) : concurrencyParameters(parameters, policyType === 'action.concurrency.attr', read.fail),
    file,
    raw: value,
  };
  const description = read.optionalString('description');
  if (description !== undefined) meta.description = description;
  return { meta, unknownKeys: unknownKeys(value, knownKeys) };
}

type Fail = (field: string, message: string) => never;

function integer(parameters: Record<string, unknown>, key: string, fail: Fail, range: { min: number; max?: number; fallback?: number }): number {
  const raw = parameters[key] ?? range.fallback;
  if (raw === undefined) return fail(`parameters.${key}`, 'is required');
  if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail(`parameters.${key}`, `must be an integer, got ${typeOf(raw)}`);
  if (raw < range.min || (range.max !== undefined && raw > range.max)) {
    return fail(`parameters.${key}`, `must be ${range.max === undefined ? `at least ${range.min}` : `from ${range.min} to ${range.max}`}, got ${raw}`);
  }
  return raw;
}

function oneOf<T extends string>(parameters: Record<string, unknown>, key: string, choices: readonly T[], fail: Fail, fallback?: T): T {
  const raw = parameters[key] ?? fallback;
  if (raw === undefined) return fail(`parameters.${key}`, 'is required');
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) return fail(`parameters.${key}`, `must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

function concurrencyParameters(parameters: Record<string, unknown>, byAttribute: boolean, fail: Fail): ConcurrencyPolicyParameters {
  const known = byAttribute ? ['threshold', 'action', 'attributes'] : ['threshold', 'action'];
  const extra = Object.keys(parameters).find((key) => !known.includes(key));
  if (extra !== undefined) fail(`parameters.${extra}`, `is not a parameter of this policy type (${known.join(', ')})`);
  const result: ConcurrencyPolicyParameters = {
    threshold: integer(parameters, 'threshold', fail, { min: 0 }),
    action: oneOf(parameters, 'action', ['delay', 'cancel'] as const, fail, 'delay'),
  };
  if (byAttribute) {
    const attributes = parameters['attributes'] ?? [];
    if (!Array.isArray(attributes) || !attributes.every((item) => typeof item === 'string' && item !== '')) {
      return fail('parameters.attributes', 'must be a list of parameter names');
    }
    if (new Set(attributes).size !== attributes.length) fail('parameters.attributes', 'must not name a parameter twice');
    result.attributes = attributes as string[];
  }
  return result;
}

function retryParameters(parameters: Record<string, unknown>, fail: Fail): RetryPolicyParameters {
  const extra = Object.keys(parameters).find((key) => !['retry_on', 'max_retry_count', 'delay'].includes(key));
  if (extra !== undefined) fail(`parameters.${extra}`, 'is not a parameter of action.retry (retry_on, max_retry_count, delay)');
  const delay = parameters['delay'] ?? 0;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0 || delay > 120) fail('parameters.delay', `must be a number of seconds from 0 to 120, got ${JSON.stringify(delay)}`);
  return {
    retry_on: oneOf(parameters, 'retry_on', ['failure', 'timeout'] as const, fail),
    max_retry_count: integer(parameters, 'max_retry_count', fail, { min: 1, max: 5, fallback: 2 }),
    delay: delay as number,
  };
}
