import type { RuleEnforcementRecord, RuleRecord, TriggerInstanceRecord, TriggerRecord, TriggerTypeRecord } from '@packrun/core';

/**
 * Rules, trigger types, triggers, trigger instances and rule enforcements as StackStorm's API
 * shows them (st2common's RuleAPI, TriggerTypeAPI, TriggerAPI, TriggerInstanceAPI,
 * RuleEnforcementAPI): one view per resource, used by every route that answers with it. Ids are
 * Packrun's (a ref where the resource has one); what st2 has no field for stays in snake_case.
 */

export function st2Rule(rule: RuleRecord): Record<string, unknown> {
  const author = rule.metadata?.['author'] as { user?: string } | undefined;
  return {
    id: rule.id,
    uid: `rule:${rule.pack}:${rule.name}`,
    ref: rule.ref,
    name: rule.name,
    pack: rule.pack,
    ...(rule.description === undefined ? {} : { description: rule.description }),
    enabled: rule.enabled,
    type: { ref: 'standard', parameters: {} },
    trigger: rule.trigger,
    criteria: rule.criteria,
    action: rule.action,
    tags: rule.tags ?? [],
    context: author?.user === undefined ? {} : { user: author.user },
    ...(typeof rule.metadata?.['file'] === 'string' ? { metadata_file: rule.metadata['file'] } : {}),
    created_at: rule.createdAt,
    updated_at: rule.updatedAt,
  };
}

export function st2TriggerType(type: TriggerTypeRecord): Record<string, unknown> {
  return {
    id: type.id,
    uid: `trigger_type:${type.pack}:${type.name}`,
    ref: type.ref,
    name: type.name,
    pack: type.pack,
    ...(type.description === undefined ? {} : { description: type.description }),
    payload_schema: type.payloadSchema ?? {},
    parameters_schema: type.parametersSchema ?? {},
    tags: type.tags ?? [],
  };
}

export function st2Trigger(trigger: TriggerRecord): Record<string, unknown> {
  return {
    id: trigger.id,
    uid: `trigger:${trigger.pack}:${trigger.name}`,
    ref: trigger.ref,
    name: trigger.name,
    pack: trigger.pack,
    type: trigger.type,
    parameters: trigger.parameters,
    ref_count: trigger.refCount,
  };
}

export function st2TriggerInstance(instance: TriggerInstanceRecord): Record<string, unknown> {
  return {
    id: instance.id,
    trigger: instance.trigger,
    occurrence_time: instance.occurredAt,
    payload: instance.payload,
    status: instance.status,
    ...(instance.source === undefined ? {} : { source: instance.source }),
    ...(instance.traceTag === undefined ? {} : { trace_tag: instance.traceTag }),
  };
}

export function st2RuleEnforcement(enforcement: RuleEnforcementRecord, rule: RuleRecord | undefined): Record<string, unknown> {
  return {
    id: enforcement.id,
    rule: { ref: enforcement.rule, ...(rule ? { id: rule.id, uid: `rule:${rule.pack}:${rule.name}` } : {}) },
    trigger_instance_id: enforcement.triggerInstance,
    ...(enforcement.execution === undefined ? {} : { execution_id: enforcement.execution }),
    ...(enforcement.failureReason === undefined ? {} : { failure_reason: enforcement.failureReason }),
    enforced_at: enforcement.enforcedAt,
    status: enforcement.status,
  };
}
