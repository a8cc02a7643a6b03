import { createHash } from 'node:crypto';
import {
  buildDatastoreSnapshot,
  keyValueLookup,
  newId,
  packScopedLookup,
  nowIso,
  renderValue,
  toFailure,
  type KeyValueLookup,
  type KeyValues,
  type Logger,
  type RuleEnforcementRecord,
  type RuleRecord,
  type Store,
  type TriggerInstanceMessage,
  type TriggerInstanceRecord,
  type Bus,
} from '@packrun/core';
import { renderActionParameters, type ParameterTypes } from './action-parameters.ts';
import { authorScopedLookup, ruleAuthor } from './rule-author.ts';
import { evaluateCriteria, type RenderTemplate } from './criteria.ts';

/** What the rules engine asks for; the API's create-and-enqueue path answers it. */
export interface ExecutionRequest {
  /**
   * Derived from the trigger instance and the rule (enforcementExecutionId): a trigger instance
   * processed again after a crash, or a retried request, finds the execution it asked for already
   * there instead of starting a second one.
   */
  id: string;
  action: string;
  parameters: Record<string, unknown>;
  /** `{rule: {id, ref, name}, trigger_instance: {id, name}, user}`, stored with the execution. */
  context: Record<string, unknown>;
  user: string;
  rule: string;
  triggerInstance: string;
}
export type ExecutionRequester = (request: ExecutionRequest) => Promise<{ id: string }>;

export interface TriggerProcessorDeps {
  store: Store;
  requestExecution: ExecutionRequester;
  /** Jinja-compatible rendering where a lone `{{ expr }}` keeps its type; core's `renderValue` by default. */
  render?: RenderTemplate;
  keyValues?: KeyValues;
  /** The site config of a pack (for `config_context`: the rule's own pack's), already validated and rendered. */
  packConfig?: (pack: string) => Promise<Record<string, unknown>>;
  logger: Logger;
  now?: () => number;
  /** Where the instance's creation and status changes are published (`trigger-instance-updates`), for the API's stream. */
  bus?: Pick<Bus, 'publish'>;
}

/** The user rules act as, as StackStorm's `stanley` system user. */
const rulesUser = 'packrun';

/**
 * Handles one trigger instance: records it, finds the enabled rules of its trigger, and for each
 * rule whose criteria hold renders the action parameters and requests the execution, recording a
 * rule enforcement either way. Safe to run twice for the same message (the bus delivers at least
 * once): a processed instance is skipped, and a rule already enforced for it is not enforced again.
 */
export function createTriggerProcessor(deps: TriggerProcessorDeps): (message: TriggerInstanceMessage) => Promise<TriggerInstanceRecord> {
  const log = deps.logger.child({ component: 'rules-engine' });
  const render: RenderTemplate = deps.render ?? ((template, context) => renderValue(template, context));

  // The same instance delivered twice at once (the bus delivers at least once) is processed one
  // delivery after the other, so the second sees the first's enforcements and skips them.
  const inProgress = new Map<string, Promise<TriggerInstanceRecord>>();

  return async (message) => {
    const earlier = inProgress.get(message.id);
    const processing = (earlier ?? Promise.resolve()).catch(() => undefined).then(() => processInstance(message));
    inProgress.set(message.id, processing);
    try {
      return await processing;
    } finally {
      if (inProgress.get(message.id) === processing) inProgress.delete(message.id);
    }
  };

  async function processInstance(message: TriggerInstanceMessage): Promise<TriggerInstanceRecord> {
    const { instance, created } = await recordInstance(deps.store, message);
    if (created) announce(instance.id, instance.status, true);
    if (instance.status === 'processed') return instance;
    try {
      const rules = await deps.store.rules.find({ 'trigger.ref': message.trigger, enabled: true }, { sort: { id: 1 } });
      for (const rule of rules) await applyRule(rule, instance);
      const processed = (await deps.store.triggerInstances.updateOne({ id: instance.id }, { set: { status: 'processed' } })) ?? instance;
      announce(instance.id, 'processed', false);
      return processed;
    } catch (error) {
      log.error({ err: error, triggerInstance: instance.id }, 'processing a trigger instance failed');
      await deps.store.triggerInstances.update({ id: instance.id }, { set: { status: 'processing_failed' } });
      announce(instance.id, 'processing_failed', false);
      throw error;
    }
  }

  /** Not awaited: the stream's event is best effort, the instance's processing is not held up by the bus. */
  function announce(id: string, status: TriggerInstanceRecord['status'], created: boolean): void {
    deps.bus?.publish('trigger-instance-updates', { id, status, created, at: nowIso() }).catch((error: unknown) => log.warn({ err: error, triggerInstance: id }, 'trigger instance event not published'));
  }

  async function applyRule(rule: RuleRecord, instance: TriggerInstanceRecord): Promise<void> {
    if (await deps.store.ruleEnforcements.findOne({ rule: rule.ref, triggerInstance: instance.id })) return;
    const templateContext = await datastoreContext(rule, [rule.criteria, rule.action.parameters]);
    const verdict = evaluateCriteria(rule.criteria, instance.payload, {
      render,
      templateContext,
      ...(deps.now ? { now: deps.now } : {}),
    });
    if (!verdict.matched) {
      log.debug({ rule: rule.ref, triggerInstance: instance.id, verdict }, 'rule criteria do not match');
      return;
    }
    const enforcement: RuleEnforcementRecord = {
      id: newId(),
      rule: rule.ref,
      triggerInstance: instance.id,
      status: 'succeeded',
      enforcedAt: nowIso(),
    };
    try {
      const execution = await enforce(rule, instance, templateContext);
      enforcement.execution = execution.id;
      log.info({ rule: rule.ref, triggerInstance: instance.id, execution: execution.id }, 'rule enforced');
    } catch (error) {
      const failure = toFailure(error);
      enforcement.status = 'failed';
      enforcement.failureReason = `${failure.type}: ${failure.message}`;
      log.warn({ rule: rule.ref, triggerInstance: instance.id, reason: enforcement.failureReason }, 'rule enforcement failed');
    }
    await deps.store.ruleEnforcements.insert(enforcement);
  }

  /**
   * `st2kv` for the templates of a rule: the keys they mention, fetched before rendering. A rule a
   * pack shipped is that pack's metadata: it sees no other pack's local keys. One created through
   * the API sees what its author could read: the author's own user scope, and secrets decrypted
   * only in the scopes the author may decrypt.
   */
  async function datastoreContext(rule: RuleRecord, templates: unknown): Promise<Record<string, unknown>> {
    const keyValues = deps.keyValues;
    if (!keyValues) return {};
    let lookup: KeyValueLookup;
    if (fromPack(rule)) {
      lookup = packScopedLookup({ get: async (name, options) => (await keyValues.get(name, options))?.value }, rule.pack);
    } else {
      const author = ruleAuthor(rule);
      lookup = authorScopedLookup(keyValueLookup(keyValues, author.user), author);
    }
    return { st2kv: await buildDatastoreSnapshot(templates, lookup) };
  }

  async function enforce(rule: RuleRecord, instance: TriggerInstanceRecord, templateContext: Record<string, unknown>): Promise<{ id: string }> {
    const action = await deps.store.actions.get(rule.action.ref);
    const actionPack = action?.pack ?? rule.action.ref.slice(0, rule.action.ref.indexOf('.'));
    const context = {
      // `source` says whether the rule is a pack's (acting for that pack alone, core.inject_trigger
      // included) or an API caller's.
      rule: { id: rule.id, ref: rule.ref, name: rule.name, pack: rule.pack, source: fromPack(rule) ? 'pack' : 'api' },
      trigger_instance: { id: instance.id, name: instance.trigger },
      user: rulesUser,
      pack: actionPack,
    };
    // The rule's own pack's config, never the action's: a rule of one pack that runs another
    // pack's action must not read that pack's config (secrets) into parameters it can see.
    const configContext = deps.packConfig && fromPack(rule) ? await deps.packConfig(rule.pack) : {};
    const parameters = renderActionParameters(
      rule.ref,
      rule.action.parameters,
      { ...templateContext, trigger: instance.payload, config_context: configContext, action_context: context },
      render,
      (action?.parameters ?? {}) as ParameterTypes,
    );
    return deps.requestExecution({
      id: enforcementExecutionId(instance.id, rule.id),
      action: rule.action.ref,
      parameters,
      context,
      user: rulesUser,
      rule: rule.ref,
      triggerInstance: instance.id,
    });
  }
}

/** The one execution a rule may start for a trigger instance: the same id however often it is asked. */
export function enforcementExecutionId(triggerInstance: string, rule: string): string {
  return `rule-${createHash('sha256').update(`${triggerInstance}\0${rule}`).digest('hex').slice(0, 40)}`;
}

/** A rule a pack shipped (not one created through the API, whose `pack` is whatever its author wrote). */
function fromPack(rule: RuleRecord): boolean {
  return rule.metadata?.['source'] === 'pack';
}

async function recordInstance(store: Store, message: TriggerInstanceMessage): Promise<{ instance: TriggerInstanceRecord; created: boolean }> {
  const existing = await store.triggerInstances.get(message.id);
  if (existing) return { instance: existing, created: false };
  const record: TriggerInstanceRecord = {
    id: message.id,
    trigger: message.trigger,
    payload: message.payload,
    occurredAt: message.occurredAt,
    status: 'processing',
    ...(message.source === undefined ? {} : { source: message.source }),
    ...(message.traceTag === undefined ? {} : { traceTag: message.traceTag }),
  };
  return { instance: await store.triggerInstances.put(record), created: true };
}
