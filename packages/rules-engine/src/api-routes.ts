import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
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
} from '@packrun/core';
import { webhookTriggerType } from './builtin-trigger-types.ts';
import type { RuleAuthor } from './rule-author.ts';
import { deleteRule, getRule, saveRule, setRuleEnabled } from './rule-registry.ts';
import { dispatchTrigger } from './trigger-dispatch.ts';

/**
 * REST routes for rules, trigger types, triggers, trigger instances, rule enforcements and
 * webhooks. Registered by the API app (`rulesApiRoutes(app, {store, bus})`), which authorizes
 * each by the `config.access` it declares.
 */
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
const limitQuery = { type: 'integer', minimum: 1, maximum: 1000, default: 50 } as const;
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
}

export function rulesApiRoutes(app: FastifyInstance, deps: RulesApiDeps): void {
  const { store, bus, authorOf } = deps;
  const webhookLimits = inputLimits(deps.config);

  app.get('/api/v1/rules', {
    config: { access: 'read' },
    schema: {
      summary: 'Rules, by ref',
      tags: ['rules'],
      querystring: { type: 'object', additionalProperties: false, properties: { pack: { type: 'string', minLength: 1 }, enabled: { type: 'boolean' } } },
    },
  }, async (request) => {
    const { pack, enabled } = request.query as { pack?: string; enabled?: boolean };
    const filter: Filter<RuleRecord> = {};
    if (pack !== undefined) filter.pack = pack;
    if (enabled !== undefined) filter.enabled = enabled;
    return store.rules.find(filter, { sort: { id: 1 } });
  });

  app.get('/api/v1/rules/:ref', { config: { access: 'read' }, schema: { summary: 'One rule', tags: ['rules'], params: refParams } }, async (request) =>
    getRule(store, (request.params as { ref: string }).ref),
  );

  app.post('/api/v1/rules', {
    config: { access: 'operate' },
    schema: { summary: 'Create a rule (the body is the rule file as JSON, with its pack)', tags: ['rules'], body: ruleBody },
  }, async (request, reply) => {
    const meta = parseBody(request.body);
    if (await store.rules.get(meta.ref)) {
      throw new PackrunError('RULE_EXISTS', `rule "${meta.ref}" already exists`, {
        hint: 'update it with PUT /api/v1/rules/<ref> (`packrun rule create --update`), or delete it first',
        details: { rule: meta.ref },
      });
    }
    return reply.status(201).send(await saveRule(store, meta, 'api', { author: authorOf(request) }));
  });

  app.put('/api/v1/rules/:ref', {
    config: { access: 'operate' },
    schema: { summary: 'Replace a rule', tags: ['rules'], params: refParams, body: ruleBody },
  }, async (request) => {
    const meta = parseBody(request.body);
    const ref = (request.params as { ref: string }).ref;
    if (meta.ref !== ref) {
      throw new PackrunError('REQUEST_INVALID', `the body describes rule "${meta.ref}", not "${ref}"`, { details: { field: 'body.name' } });
    }
    return saveRule(store, meta, 'api', { author: authorOf(request) });
  });

  app.delete('/api/v1/rules/:ref', { config: { access: 'operate' }, schema: { summary: 'Delete a rule', tags: ['rules'], params: refParams } }, async (request, reply) => {
    await deleteRule(store, (request.params as { ref: string }).ref);
    return reply.status(204).send();
  });

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/api/v1/rules/:ref/${verb}`, { config: { access: 'operate' }, schema: { summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a rule`, tags: ['rules'], params: refParams } }, async (request) =>
      setRuleEnabled(store, (request.params as { ref: string }).ref, enabled),
    );
  }

  app.get('/api/v1/triggertypes', { config: { access: 'read' }, schema: { summary: 'Trigger types, by ref', tags: ['triggers'] } }, async () =>
    store.triggerTypes.find({}, { sort: { id: 1 } }),
  );

  app.get('/api/v1/triggertypes/:ref', { config: { access: 'read' }, schema: { summary: 'One trigger type', tags: ['triggers'], params: refParams } }, async (request) => {
    const ref = (request.params as { ref: string }).ref;
    const type = await store.triggerTypes.get(ref);
    if (!type) throw new PackrunError('TRIGGER_TYPE_NOT_FOUND', `trigger type "${ref}" is not registered`, { details: { triggerType: ref } });
    return type;
  });

  app.get('/api/v1/triggers', { config: { access: 'read' }, schema: { summary: 'Triggers that rules use (a trigger type plus parameters)', tags: ['triggers'] } }, async () =>
    store.triggers.find({}, { sort: { id: 1 } }),
  );

  app.get('/api/v1/triggerinstances', {
    config: { access: 'read' },
    schema: {
      summary: 'Trigger instances, newest first',
      tags: ['triggers'],
      querystring: { type: 'object', additionalProperties: false, properties: { trigger: { type: 'string', minLength: 1 }, limit: limitQuery } },
    },
  }, async (request) => {
    const { trigger, limit } = request.query as { trigger?: string; limit: number };
    const filter: Filter<TriggerInstanceRecord> = trigger ? { trigger } : {};
    return store.triggerInstances.find(filter, { sort: { occurredAt: -1, id: -1 }, limit });
  });

  app.get('/api/v1/triggerinstances/:id', {
    config: { access: 'read' },
    schema: { summary: 'One trigger instance with the rule enforcements it caused', tags: ['triggers'], params: idParams },
  }, async (request) => {
    const id = (request.params as { id: string }).id;
    const instance = await store.triggerInstances.get(id);
    if (!instance) throw new PackrunError('TRIGGER_INSTANCE_NOT_FOUND', `trigger instance "${id}" does not exist`, { details: { triggerInstance: id } });
    const enforcements = await store.ruleEnforcements.find({ triggerInstance: id }, { sort: { enforcedAt: 1 } });
    return { ...instance, enforcements };
  });

  app.get('/api/v1/ruleenforcements', {
    config: { access: 'read' },
    schema: {
      summary: 'Rule enforcements, newest first',
      tags: ['rules'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { rule: { type: 'string', minLength: 1 }, triggerInstance: { type: 'string', minLength: 1 }, limit: limitQuery },
      },
    },
  }, async (request) => {
    const { rule, triggerInstance, limit } = request.query as { rule?: string; triggerInstance?: string; limit: number };
    return store.ruleEnforcements.find(
      { ...(rule ? { rule } : {}), ...(triggerInstance ? { triggerInstance } : {}) },
      { sort: { enforcedAt: -1, id: -1 }, limit },
    );
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
    const fired = await dispatchTrigger(store, bus, {
      trigger: body.trigger,
      payload: body.payload ?? {},
      source: 'webhook:st2',
      ...(body.trace_tag === undefined ? {} : { traceTag: body.trace_tag }),
    });
    return reply.status(202).send({ triggerInstance: fired.id, trigger: fired.trigger, payload: fired.payload });
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
      return reply.status(202).send({ triggerInstances: fired, url });
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

function parseBody(body: unknown) {
  const record = body as Record<string, unknown>;
  const pack = String(record['pack']);
  return parseRuleMeta(body, { file: `api:${pack}.${String(record['name'])}`, pack }).meta;
}
