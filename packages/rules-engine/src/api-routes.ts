import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  canonicalJson,
  checkJsonValue,
  inputLimits,
  inputSubject,
  parseRuleMeta,
  PackrunError,
  type Bus,
  type PackrunConfig,
  type Filter,
  type RuleRecord,
  type Store,
  type TriggerInstanceRecord,
  type RuleEnforcementRecord,
  type RouteAccess,
  st2ListQueryProperties,
  st2Page,
  type St2ListQuery,
} from '@packrun/core';
import { webhookTriggerType } from './builtin-trigger-types.ts';
import type { RuleAuthor } from './rule-author.ts';
import { deleteRule, getRule, saveRule, setRuleEnabled } from './rule-registry.ts';
import { dispatchTrigger } from './trigger-dispatch.ts';
import { st2Rule, st2RuleEnforcement, st2Trigger, st2TriggerInstance, st2TriggerType } from './st2-views.ts';

/**
 * REST routes for rules, trigger types, triggers, trigger instances, rule enforcements and
 * webhooks. Registered by the API app (`rulesApiRoutes(app, {store, bus})`), which authorizes
 * each by the `config.access` it declares.
 */
/**
 * Who may read trigger instances (their payloads carry what sensors and webhooks received,
 * secrets included): the REST routes, and the API's stream for its trigger instance events.
 */
export const triggerInstanceReadAccess = 'read' satisfies RouteAccess;

const refParams = {
  type: 'object',
  properties: { ref: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['ref'],
} as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['id'],
} as const;
const listQuery = { type: 'object', additionalProperties: false, properties: st2ListQueryProperties } as const;
const ruleBody = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'pack', 'trigger', 'action'],
  properties: {
    name: { type: 'string', minLength: 1 },
    pack: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    enabled: { type: 'boolean' },
    trigger: { type: 'object', additionalProperties: true },
    criteria: { type: 'object', additionalProperties: true },
    action: { type: 'object', additionalProperties: true },
    tags: { type: 'array' },
  },
} as const;

export interface RulesApiDeps {
  store: Store;
  bus: Bus;
  config: PackrunConfig;
  /** The caller of a request, as the API's authorization found it: the author of the rules it saves. */
  authorOf: (request: FastifyRequest) => RuleAuthor;
  /** The pack whose code calls (a sensor with the token its container gave it): it dispatches only its own pack's triggers. */
  packCodeOf: (request: FastifyRequest) => string | undefined;
}

export function rulesApiRoutes(app: FastifyInstance, deps: RulesApiDeps): void {
  const { store, bus, authorOf } = deps;
  const webhookLimits = inputLimits(deps.config);

  app.get('/api/v1/rules', {
    config: { access: 'read' },
    schema: {
      summary: 'Rules, by ref (st2\'s Rule)',
      tags: ['rules'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          pack: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
          enabled: { type: 'boolean' },
          action: { type: 'string', minLength: 1, description: 'only rules running this action' },
          trigger: { type: 'string', minLength: 1, description: 'only rules on this trigger type' },
          ...st2ListQueryProperties,
        },
      },
    },
  }, async (request, reply) => {
    const query = request.query as St2ListQuery & { pack?: string; name?: string; enabled?: boolean; action?: string; trigger?: string };
    const filter: Filter<RuleRecord> = {};
    if (query.pack !== undefined) filter.pack = query.pack;
    if (query.name !== undefined) filter.name = query.name;
    if (query.enabled !== undefined) filter.enabled = query.enabled;
    if (query.action !== undefined) filter['action.ref'] = query.action;
    if (query.trigger !== undefined) filter['trigger.type'] = query.trigger;
    return st2Page(reply, (await store.rules.find(filter, { sort: { id: 1 } })).map(st2Rule), query);
  });

  app.get('/api/v1/rules/:ref', { config: { access: 'read' }, schema: { summary: 'One rule', tags: ['rules'], params: refParams } }, async (request) =>
    st2Rule(await getRule(store, (request.params as { ref: string }).ref)),
  );

  app.post('/api/v1/rules', {
    config: { access: 'operate' },
    schema: { summary: 'Create a rule (the body is the rule file as JSON, with its pack)', tags: ['rules'], body: ruleBody },
  }, async (request, reply) => {
    const meta = parseBody(request.body);
    if (await store.rules.get(meta.ref)) {
      throw new PackrunError('RULE_EXISTS', `rule "${meta.ref}" already exists`, {
        hint: 'update it with PUT /api/v1/rules/<ref> (`packrun rule create --update`, `st2 rule update`), or delete it first',
        details: { rule: meta.ref },
      });
    }
    return reply.status(201).send(st2Rule(await saveRule(store, meta, 'api', { author: authorOf(request) })));
  });

  app.put('/api/v1/rules/:ref', {
    config: { access: 'operate' },
    schema: { summary: 'Replace a rule (st2 rule update, and st2 rule enable/disable, which send the rule back with `enabled` changed)', tags: ['rules'], params: refParams, body: ruleBody },
  }, async (request) => {
    const meta = parseBody(request.body);
    const ref = (request.params as { ref: string }).ref;
    if (meta.ref !== ref) {
      throw new PackrunError('REQUEST_INVALID', `the body describes rule "${meta.ref}", not "${ref}"`, { details: { field: 'body.name' } });
    }
    // st2 rule enable/disable send the rule back as read with only `enabled` changed: that is
    // a switch, not a new rule by the caller (a pack's rule stays the pack's, its author stays).
    const current = await store.rules.get(ref);
    if (current && sameRule(current, meta)) return st2Rule(await setRuleEnabled(store, ref, meta.enabled));
    return st2Rule(await saveRule(store, meta, 'api', { author: authorOf(request) }));
  });

  app.delete('/api/v1/rules/:ref', { config: { access: 'operate' }, schema: { summary: 'Delete a rule', tags: ['rules'], params: refParams } }, async (request, reply) => {
    await deleteRule(store, (request.params as { ref: string }).ref);
    return reply.status(204).send();
  });

  app.get('/api/v1/triggertypes', {
    config: { access: 'read' },
    schema: { summary: 'Trigger types, by ref (st2 trigger list)', tags: ['triggers'], querystring: { ...listQuery, properties: { ...listQuery.properties, pack: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 } } } },
  }, async (request, reply) => {
    const query = request.query as St2ListQuery & { pack?: string; name?: string };
    const types = await store.triggerTypes.find({ ...(query.pack ? { pack: query.pack } : {}), ...(query.name ? { name: query.name } : {}) }, { sort: { id: 1 } });
    return st2Page(reply, types.map(st2TriggerType), query);
  });

  app.get('/api/v1/triggertypes/:ref', { config: { access: 'read' }, schema: { summary: 'One trigger type', tags: ['triggers'], params: refParams } }, async (request) => {
    const ref = (request.params as { ref: string }).ref;
    const type = await store.triggerTypes.get(ref);
    if (!type) throw new PackrunError('TRIGGER_TYPE_NOT_FOUND', `trigger type "${ref}" is not registered`, { details: { triggerType: ref } });
    return st2TriggerType(type);
  });

  app.get('/api/v1/triggers', {
    config: { access: 'read' },
    schema: { summary: 'Triggers that rules use (a trigger type plus parameters)', tags: ['triggers'], querystring: listQuery },
  }, async (request, reply) => st2Page(reply, (await store.triggers.find({}, { sort: { id: 1 } })).map(st2Trigger), request.query as St2ListQuery));

  app.get('/api/v1/triggerinstances', {
    config: { access: triggerInstanceReadAccess },
    schema: {
      summary: 'Trigger instances, newest first',
      tags: ['triggers'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          trigger: { type: 'string', minLength: 1 },
          status: { type: 'string', enum: ['pending', 'processing', 'processed', 'processing_failed'] },
          timestamp_gt: { type: 'string', format: 'date-time', description: 'only those that occurred after' },
          timestamp_lt: { type: 'string', format: 'date-time', description: 'only those that occurred before' },
          ...st2ListQueryProperties,
          limit: { ...st2ListQueryProperties.limit, default: 50 },
        },
      },
    },
  }, async (request, reply) => {
    const query = request.query as St2ListQuery & { trigger?: string; status?: TriggerInstanceRecord['status']; timestamp_gt?: string; timestamp_lt?: string };
    const filter: Filter<TriggerInstanceRecord> = {
      ...(query.trigger ? { trigger: query.trigger } : {}),
      ...(query.status ? { status: query.status } : {}),
    };
    const occurred = {
      ...(query.timestamp_gt ? { $gt: new Date(query.timestamp_gt).toISOString() } : {}),
      ...(query.timestamp_lt ? { $lt: new Date(query.timestamp_lt).toISOString() } : {}),
    };
    if (Object.keys(occurred).length > 0) filter.occurredAt = occurred;
    // Paged in the store: trigger instances are the one listing here that grows without bound.
    void reply.header('x-total-count', String(await store.triggerInstances.count(filter)));
    const page = await store.triggerInstances.find(filter, { sort: { occurredAt: -1, id: -1 }, skip: query.offset, ...(query.limit === -1 ? {} : { limit: query.limit }) });
    return st2Page({ header: () => undefined }, page.map(st2TriggerInstance), { ...query, offset: 0, limit: -1 });
  });

  app.get('/api/v1/triggerinstances/:id', {
    config: { access: triggerInstanceReadAccess },
    schema: { summary: 'One trigger instance', tags: ['triggers'], params: idParams },
  }, async (request) => st2TriggerInstance(await triggerInstance(store, (request.params as { id: string }).id)));

  app.post('/api/v1/triggerinstances/:id/re_emit', {
    config: { access: 'operate' },
    schema: { summary: 'Fire a trigger instance\'s trigger again with its payload (st2 trigger-instance re-emit); the rules see a new instance', tags: ['triggers'], params: idParams },
  }, async (request) => {
    const original = await triggerInstance(store, (request.params as { id: string }).id);
    // As st2: the payload again, with where it came from under __context.
    const payload = { ...original.payload, __context: { original_id: original.id } };
    const fired = await dispatchTrigger(store, bus, { trigger: original.trigger, payload, source: `re-emit:${original.id}`, ...(original.traceTag === undefined ? {} : { traceTag: original.traceTag }) });
    return { message: `Trigger instance ${original.id} succesfully re-sent.`, payload: fired.payload, trigger_instance_id: fired.id };
  });

  app.get('/api/v1/ruleenforcements', {
    config: { access: 'read' },
    schema: {
      summary: 'Rule enforcements, newest first',
      tags: ['rules'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          rule_ref: { type: 'string', minLength: 1 },
          trigger_instance: { type: 'string', minLength: 1 },
          execution: { type: 'string', minLength: 1 },
          enforced_at_gt: { type: 'string', format: 'date-time' },
          enforced_at_lt: { type: 'string', format: 'date-time' },
          ...st2ListQueryProperties,
          limit: { ...st2ListQueryProperties.limit, default: 50 },
        },
      },
    },
  }, async (request, reply) => {
    const query = request.query as St2ListQuery & { rule_ref?: string; trigger_instance?: string; execution?: string; enforced_at_gt?: string; enforced_at_lt?: string };
    const filter: Filter<RuleEnforcementRecord> = {
      ...(query.rule_ref ? { rule: query.rule_ref } : {}),
      ...(query.trigger_instance ? { triggerInstance: query.trigger_instance } : {}),
      ...(query.execution ? { execution: query.execution } : {}),
    };
    const enforced = {
      ...(query.enforced_at_gt ? { $gt: new Date(query.enforced_at_gt).toISOString() } : {}),
      ...(query.enforced_at_lt ? { $lt: new Date(query.enforced_at_lt).toISOString() } : {}),
    };
    if (Object.keys(enforced).length > 0) filter.enforcedAt = enforced;
    void reply.header('x-total-count', String(await store.ruleEnforcements.count(filter)));
    const page = await store.ruleEnforcements.find(filter, { sort: { enforcedAt: -1, id: -1 }, skip: query.offset, ...(query.limit === -1 ? {} : { limit: query.limit }) });
    const views = await Promise.all(page.map(async (enforcement) => st2RuleEnforcement(enforcement, await store.rules.get(enforcement.rule))));
    return st2Page({ header: () => undefined }, views, { ...query, offset: 0, limit: -1 });
  });

  app.get('/api/v1/ruleenforcements/:id', {
    config: { access: 'read' },
    schema: { summary: 'One rule enforcement', tags: ['rules'], params: idParams },
  }, async (request) => {
    const id = (request.params as { id: string }).id;
    const enforcement = await store.ruleEnforcements.get(id);
    if (!enforcement) throw new PackrunError('RULE_ENFORCEMENT_NOT_FOUND', `rule enforcement "${id}" does not exist`, { details: { ruleEnforcement: id } });
    return st2RuleEnforcement(enforcement, await store.rules.get(enforcement.rule));
  });

  app.get('/api/v1/webhooks', {
    config: { access: 'read' },
    schema: { summary: 'The webhooks rules listen on: their core.st2.webhook triggers (st2 webhook list)', tags: ['triggers'] },
  }, async () => (await store.triggers.find({ type: webhookTriggerType }, { sort: { id: 1 } })).map(st2Trigger));

  app.get('/api/v1/webhooks/*', {
    config: { access: 'read' },
    schema: { summary: 'The trigger of one webhook', tags: ['triggers'] },
  }, async (request) => {
    const url = normaliseUrl((request.params as { '*': string })['*']);
    const trigger = await store.triggers.findOne({ type: webhookTriggerType, 'parameters.url': url });
    if (!trigger) throw new PackrunError('WEBHOOK_NOT_FOUND', `no rule listens on webhook "${url}"`, { details: { url } });
    return st2Trigger(trigger);
  });

  app.post('/api/v1/webhooks/st2', {
    config: { access: 'operate', keyInQuery: true },
    schema: {
      summary: 'Fire any trigger: {trigger, payload}',
      tags: ['triggers'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['trigger'],
        properties: { trigger: { type: 'string', minLength: 1 }, payload: { type: 'object', additionalProperties: true }, trace_tag: { type: 'string' } },
      },
    },
  }, async (request, reply) => {
    const body = request.body as { trigger: string; payload?: Record<string, unknown>; trace_tag?: string };
    const pack = deps.packCodeOf(request);
    const fired = await dispatchTrigger(store, bus, {
      trigger: body.trigger,
      payload: body.payload ?? {},
      source: 'webhook:st2',
      ...(pack === undefined ? {} : { fromPack: pack }),
      ...(body.trace_tag === undefined ? {} : { traceTag: body.trace_tag }),
    });
    // st2 answers the body it was sent; the instance's id is Packrun's.
    return reply.status(202).send({ trigger: fired.trigger, payload: fired.payload, trigger_instance_id: fired.id });
  });

  // Form-encoded bodies (GitHub's default for webhooks) are accepted here only, hence the scope.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, formFields(String(body)));
    });
    scope.post('/api/v1/webhooks/*', {
      config: { access: 'operate', keyInQuery: true },
      schema: { summary: 'Fire the core.st2.webhook triggers of rules whose trigger.parameters.url is this path', tags: ['triggers'] },
    }, async (request, reply) => {
      const url = normaliseUrl((request.params as { '*': string })['*']);
      const triggers = await store.triggers.find({ type: webhookTriggerType, 'parameters.url': url });
      if (triggers.length === 0) {
        throw new PackrunError('WEBHOOK_NOT_FOUND', `no rule listens on webhook "${url}"`, {
          hint: 'a rule with trigger core.st2.webhook and parameters {url: <path>} creates the webhook',
          details: { url },
        });
      }
      // A JSON body was checked as it was parsed; a form or text body is held to the same limits here.
      checkJsonValue(request.body ?? {}, webhookLimits, inputSubject('the webhook body'));
      const payload = { headers: withoutCredentials(request.headers), body: (request.body ?? {}) as unknown };
      const fired = [];
      for (const trigger of triggers) {
        fired.push((await dispatchTrigger(store, bus, { trigger: trigger.ref, payload: payload as Record<string, unknown>, source: `webhook:${url}` })).id);
      }
      return reply.status(202).send({ trigger_instance_ids: fired, url });
    });
  });
}

/** `a=1&b=2&b=3` -> `{a: '1', b: ['2', '3']}`. */
function formFields(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = fields[name];
    fields[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return fields;
}

/** The webhook url as rules store it (see rule-registry): no leading or trailing slash. */
function normaliseUrl(raw: string): string {
  return raw.split('?')[0]!.replace(/^\/+|\/+$/g, '');
}

/** The caller's credentials must not end up in a stored payload that rules and actions can read. */
const credentialHeaders = new Set(['x-api-key', 'st2-api-key', 'authorization', 'x-auth-token', 'st2-auth-token', 'cookie']);

function withoutCredentials(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !credentialHeaders.has(name.toLowerCase())));
}

/** Whether a rule body says what the stored rule says, `enabled` aside. */
function sameRule(rule: RuleRecord, meta: ReturnType<typeof parseBody>): boolean {
  const said = (value: { description?: string | undefined; trigger: unknown; criteria: unknown; action: unknown; tags?: unknown[] | undefined }) =>
    canonicalJson({ description: value.description ?? null, trigger: value.trigger, criteria: value.criteria, action: value.action, tags: (value.tags ?? []).map(String) });
  const { ref: _ref, ...trigger } = rule.trigger;
  return said({ ...rule, trigger }) === said(meta);
}

async function triggerInstance(store: Store, id: string): Promise<TriggerInstanceRecord> {
  const instance = await store.triggerInstances.get(id);
  if (!instance) throw new PackrunError('TRIGGER_INSTANCE_NOT_FOUND', `trigger instance "${id}" does not exist`, { details: { triggerInstance: id } });
  return instance;
}

function parseBody(body: unknown) {
  const record = body as Record<string, unknown>;
  const pack = String(record['pack']);
  return parseRuleMeta(body, { file: `api:${pack}.${String(record['name'])}`, pack }).meta;
}
