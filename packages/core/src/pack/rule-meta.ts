import { fieldReader, unknownKeys } from './meta-fields.ts';
import type { ParsedMeta } from './action-meta.ts';
import { typeOf } from './pack-meta.ts';
import type { RuleCriterion, RuleMeta } from './types.ts';
import { isPlainObject } from './yaml-file.ts';

const knownKeys = new Set([
  'name', 'ref', 'pack', 'description', 'enabled', 'trigger', 'criteria', 'action', 'tags', 'type',
  'context', 'uid', 'id', 'metadata_file',
]);

/** `<pack>.<name>`: a dot with something on both sides. */
const resourceRef = /^[^.\s]+\.\S+$/;

/**
 * Parses one `rules/*.yaml`; throws RULE_INVALID naming the file and field. A rule is disabled unless
 * it says `enabled: true`, as in StackStorm's RuleAPI.
 */
export function parseRuleMeta(value: unknown, where: { file: string; pack: string }): ParsedMeta<RuleMeta> {
  const { file, pack } = where;
  if (!isPlainObject(value)) {
    return fieldReader('RULE_INVALID', file, {}).fail('', `must be a mapping of fields, got ${typeOf(value)}`);
  }
  const read = fieldReader('RULE_INVALID', file, value);
  const name = read.requiredString('name');
  if (name.includes('/') || name.includes('\0')) read.fail('name', 'must not contain "/" or NUL');
  read.samePack(pack);

  const trigger = read.mapping('trigger') ?? read.fail('trigger', 'is required');
  const triggerType = read.requiredString('type', trigger, 'trigger.');
  if (!resourceRef.test(triggerType)) read.fail('trigger.type', `"${triggerType}" is not a trigger type ref (<pack>.<name>)`);
  const triggerParameters = read.mapping('parameters', trigger, 'trigger.') ?? {};

  const action = read.mapping('action') ?? read.fail('action', 'is required');
  const actionRef = read.requiredString('ref', action, 'action.');
  if (!resourceRef.test(actionRef)) read.fail('action.ref', `"${actionRef}" is not an action ref (<pack>.<name>)`);
  const actionParameters = read.mapping('parameters', action, 'action.') ?? {};

  const criteria: Record<string, RuleCriterion> = {};
  for (const [path, criterion] of Object.entries(read.mapping('criteria') ?? {})) {
    if (!isPlainObject(criterion)) read.fail(`criteria.${path}`, `must be a mapping {type, pattern}, got ${typeOf(criterion)}`);
    const type = (criterion as Record<string, unknown>)['type'];
    if (type !== undefined && typeof type !== 'string') read.fail(`criteria.${path}.type`, `must be a string, got ${typeOf(type)}`);
    criteria[path] = criterion as RuleCriterion;
  }

  const meta: RuleMeta = {
    ref: `${pack}.${name}`,
    name,
    pack,
    enabled: read.flag('enabled', false),
    trigger: { type: triggerType, parameters: triggerParameters },
    criteria,
    action: { ref: actionRef, parameters: actionParameters },
    tags: read.list('tags'),
    file,
    raw: value,
  };
  const description = read.optionalString('description');
  if (description !== undefined) meta.description = description;
  return { meta, unknownKeys: unknownKeys(value, knownKeys) };
}
