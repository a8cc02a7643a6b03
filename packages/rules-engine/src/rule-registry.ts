import {
  compileSchema,
  describeSchemaErrors,
  nowIso,
  PackrunError,
  type InstalledPack,
  type LoadedPack,
  type PackProblem,
  type RuleMeta,
  type RuleRecord,
  type Store,
} from '@packrun/core';
import { registerBuiltinTriggerTypes, webhookTriggerType } from './builtin-trigger-types.ts';
import { criteriaProblems } from './criteria-check.ts';
import { assertAuthorMayDecrypt, type RuleAuthor } from './rule-author.ts';
import { ensureTrigger, recount } from './trigger-records.ts';

/**
 * Saving, enabling and removing rules. Every path (pack install, API, CLI) goes through here, so a
 * rule in the store always names an existing trigger type, carries parameters that type accepts,
 * uses known operators, and points at the shared trigger record sensors are told about.
 */
export type RuleSource = 'pack' | 'api';

export interface SaveRuleOptions {
  /** The install a pack's rule comes from: the same install registered again keeps the rule's enabled flag. */
  installedAt?: string;
  /** Who created an API rule: its templates render with that caller's datastore rights, never more. */
  author?: RuleAuthor;
}

export async function saveRule(store: Store, given: RuleMeta, source: RuleSource, options: SaveRuleOptions = {}): Promise<RuleRecord> {
  const { installedAt, author } = options;
  const meta = normaliseWebhookUrl(given);
  await checkRule(store, meta);
  if (author) assertAuthorMayDecrypt(meta, author);
  const previous = await store.rules.get(meta.ref);
  // Registering the same install again (an API restart) keeps what the user enabled or disabled.
  const sameInstall = installedAt !== undefined && previous?.metadata?.['installedAt'] === installedAt;
  const triggerRef = await ensureTrigger(store, meta.trigger.type, meta.trigger.parameters);
  const now = nowIso();
  const record: RuleRecord = {
    id: meta.ref,
    ref: meta.ref,
    pack: meta.pack,
    name: meta.name,
    enabled: sameInstall && previous ? previous.enabled : meta.enabled,
    trigger: { type: meta.trigger.type, parameters: meta.trigger.parameters, ref: triggerRef },
    criteria: meta.criteria,
    action: { ref: meta.action.ref, parameters: meta.action.parameters },
    tags: meta.tags.map(String),
    metadata: {
      source,
      ...(source === 'pack' ? { file: meta.file } : {}),
      ...(installedAt === undefined ? {} : { installedAt }),
      ...(author === undefined ? {} : { author }),
    },
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
  if (meta.description !== undefined) record.description = meta.description;
  await store.rules.put(record);
  // The trigger was created before the rule existed; count again now that it does.
  await recount(store, triggerRef);
  const oldTrigger = previous?.trigger.ref;
  if (oldTrigger && oldTrigger !== triggerRef) await recount(store, oldTrigger);
  return record;
}

/** `url: /hooks/x/` and `url: hooks/x` are the same webhook, POSTed to /api/v1/webhooks/hooks/x. */
function normaliseWebhookUrl(meta: RuleMeta): RuleMeta {
  const url = meta.trigger.parameters['url'];
  if (meta.trigger.type !== webhookTriggerType || typeof url !== 'string') return meta;
  return { ...meta, trigger: { ...meta.trigger, parameters: { ...meta.trigger.parameters, url: url.replace(/^\/+|\/+$/g, '') } } };
}

async function checkRule(store: Store, meta: RuleMeta): Promise<void> {
  const type = await store.triggerTypes.get(meta.trigger.type);
  if (!type) {
    throw new PackrunError('TRIGGER_TYPE_NOT_FOUND', `rule ${meta.ref}: trigger type "${meta.trigger.type}" is not registered`, {
      hint: 'Install the pack whose sensor declares it, or see `packrun trigger types` for the known ones.',
      details: { rule: meta.ref, field: 'trigger.type', triggerType: meta.trigger.type },
    });
  }
  if (type.parametersSchema) {
    const validate = compileSchema(type.parametersSchema);
    if (!validate(meta.trigger.parameters)) {
      throw new PackrunError(
        'TRIGGER_PARAMETERS_INVALID',
        `rule ${meta.ref}: trigger.parameters for ${type.ref} ${describeSchemaErrors(validate.errors)}`,
        { details: { rule: meta.ref, field: 'trigger.parameters', triggerType: type.ref } },
      );
    }
  }
  const problems = criteriaProblems(meta.criteria);
  if (problems.length > 0) {
    throw new PackrunError('RULE_INVALID', `rule ${meta.ref}: ${problems.join('; ')}`, {
      details: { rule: meta.ref, field: 'criteria', problems },
    });
  }
}

export async function getRule(store: Store, ref: string): Promise<RuleRecord> {
  const rule = await store.rules.get(ref);
  if (!rule) {
    throw new PackrunError('RULE_NOT_FOUND', `no rule "${ref}"`, { hint: 'See `packrun rule list`.', details: { rule: ref } });
  }
  return rule;
}

export async function setRuleEnabled(store: Store, ref: string, enabled: boolean): Promise<RuleRecord> {
  await getRule(store, ref);
  const updated = await store.rules.updateOne({ id: ref }, { set: { enabled, updatedAt: nowIso() } });
  return updated ?? getRule(store, ref);
}

export async function deleteRule(store: Store, ref: string): Promise<void> {
  const rule = await getRule(store, ref);
  await store.rules.remove({ id: ref });
  if (rule.trigger.ref) await recount(store, rule.trigger.ref);
}

/**
 * Registers what a freshly activated pack declares: the trigger types of its sensors, then its
 * rules. A rule that cannot be saved is reported and the others still are; rules the pack no
 * longer ships (from an earlier version) are removed. Rules created through the API are left alone.
 * With the install record, a re-registration of the same install keeps each rule's enabled flag.
 */
export async function registerPackRules(
  store: Store,
  pack: LoadedPack,
  installed?: Pick<InstalledPack, 'installedAt'>,
): Promise<{ rules: string[]; problems: PackProblem[] }> {
  await registerBuiltinTriggerTypes(store);
  await registerPackTriggerTypes(store, pack);
  const saved: string[] = [];
  const problems: PackProblem[] = [];
  for (const rule of pack.rules) {
    try {
      await saveRule(store, rule, 'pack', installed === undefined ? {} : { installedAt: installed.installedAt });
      saved.push(rule.ref);
    } catch (error) {
      if (!(error instanceof PackrunError)) throw error;
      problems.push({ file: rule.file, message: error.message, code: error.code });
    }
  }
  const stale = await store.rules.find({ pack: pack.ref, 'metadata.source': 'pack' });
  for (const rule of stale) {
    if (!saved.includes(rule.ref)) await deleteRule(store, rule.ref);
  }
  return { rules: saved, problems };
}

async function registerPackTriggerTypes(store: Store, pack: LoadedPack): Promise<void> {
  const now = nowIso();
  for (const sensor of pack.sensors) {
    for (const type of sensor.triggerTypes) {
      const existing = await store.triggerTypes.get(type.ref);
      await store.triggerTypes.put({
        id: type.ref,
        ref: type.ref,
        pack: type.pack,
        name: type.name,
        ...(type.description === undefined ? {} : { description: type.description }),
        ...(type.payloadSchema === undefined ? {} : { payloadSchema: type.payloadSchema }),
        ...(type.parametersSchema === undefined ? {} : { parametersSchema: type.parametersSchema }),
        tags: type.tags.map(String),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      });
    }
  }
}

/** Removes a pack's rules (any source) and trigger types, when the pack itself is removed. */
export async function unregisterPackRules(store: Store, packRef: string): Promise<void> {
  for (const rule of await store.rules.find({ pack: packRef })) await deleteRule(store, rule.ref);
  await store.triggerTypes.remove({ pack: packRef });
}
