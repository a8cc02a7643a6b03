import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createInProcessBus,
  createLogger,
  newId,
  nowIso,
  openEmbeddedStore,
  parseRuleMeta,
  renderValue,
  type Bus,
  type Store,
} from '@packrun/core';
import {
  deleteRule,
  dispatchTrigger,
  saveRule,
  setRuleEnabled,
  startRulesEngine,
  triggerRefFor,
  type ExecutionRequest,
  type RulesEngine,
} from '@packrun/rules-engine';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';

/**
 * The rules engine over a real embedded store and the in-process bus. Executions are requested
 * through a requester that stores what it is asked (the API's create-and-queue path is covered by
 * the end-to-end tests); a requester that throws stands for an action the API refuses.
 */
let dir: string;
let store: Store;
let bus: Bus;
let engine: RulesEngine;
const requests: ExecutionRequest[] = [];
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'packrun-rules-'));
  store = await openEmbeddedStore({ dir });
  bus = createInProcessBus();
  await store.triggerTypes.put({
    id: 'demo.event',
    ref: 'demo.event',
    pack: 'demo',
    name: 'event',
    payloadSchema: { type: 'object', properties: { level: { type: 'string' } }, required: ['level'] },
    createdAt: nowIso(),
    updatedAt: nowIso(),
  });
  engine = await startRulesEngine({
    store,
    bus,
    logger,
    render: (template, context) => renderValue(template, context),
    requestExecution: async (request) => {
      if (request.action === 'demo.refused') throw new Error('action demo.refused is not registered');
      requests.push(request);
      return { id: newId() };
    },
  });
});

afterAll(async () => {
  await engine?.stop();
  await bus?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  requests.length = 0;
  await store.rules.remove({});
  await store.triggers.remove({});
});

function rule(name: string, fields: Record<string, unknown>) {
  return parseRuleMeta({ name, pack: 'demo', enabled: true, ...fields }, { file: `rules/${name}.yaml`, pack: 'demo' }).meta;
}

async function enforcementsOf(instance: string) {
  return store.ruleEnforcements.find({ triggerInstance: instance });
}

describe('rules engine', () => {
  it('matches, renders and requests, recording the instance and the enforcement', async () => {
    await saveRule(
      store,
      rule('page', {
        trigger: { type: 'demo.event' },
        criteria: { 'trigger.level': { type: 'equals', pattern: 'critical' } },
        action: { ref: 'demo.notify', parameters: { text: 'level={{ trigger.level }}', count: '{{ trigger.count }}' } },
      }),
      'api',
    );
    const fired = await dispatchTrigger(store, bus, { trigger: 'demo.event', payload: { level: 'critical', count: 2 }, source: 'test' });
    await retryUntil(async () => (await enforcementsOf(fired.id)).length === 1, { what: 'an enforcement' });
    const [enforcement] = await enforcementsOf(fired.id);
    expect(enforcement).toMatchObject({ rule: 'demo.page', status: 'succeeded' });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      action: 'demo.notify',
      parameters: { text: 'level=critical', count: 2 },
      rule: 'demo.page',
      triggerInstance: fired.id,
      context: { rule: { ref: 'demo.page' }, trigger_instance: { id: fired.id, name: 'demo.event' } },
    });
    await retryUntil(async () => (await store.triggerInstances.get(fired.id))?.status === 'processed', { what: 'processed' });
    expect(await store.triggerInstances.get(fired.id)).toMatchObject({ trigger: 'demo.event', payload: { level: 'critical', count: 2 }, source: 'test' });
  });

  it('does not enforce a rule whose criteria fail, nor a disabled rule', async () => {
    await saveRule(store, rule('only_critical', { trigger: { type: 'demo.event' }, criteria: { 'trigger.level': { type: 'eq', pattern: 'critical' } }, action: { ref: 'demo.notify' } }), 'api');
    await saveRule(store, rule('disabled', { trigger: { type: 'demo.event' }, action: { ref: 'demo.notify' } }), 'api');
    await setRuleEnabled(store, 'demo.disabled', false);
    const fired = await dispatchTrigger(store, bus, { trigger: 'demo.event', payload: { level: 'info' }, source: 'test' });
    await retryUntil(async () => (await store.triggerInstances.get(fired.id))?.status === 'processed', { what: 'processed' });
    expect(await enforcementsOf(fired.id)).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('records a failed enforcement with the reason when the execution cannot be requested', async () => {
    await saveRule(store, rule('refused', { trigger: { type: 'demo.event' }, action: { ref: 'demo.refused' } }), 'api');
    await saveRule(store, rule('bad_template', { trigger: { type: 'demo.event' }, action: { ref: 'demo.notify', parameters: { x: '{{ trigger.nope.deeper }}' } } }), 'api');
    const fired = await dispatchTrigger(store, bus, { trigger: 'demo.event', payload: { level: 'x' }, source: 'test' });
    await retryUntil(async () => (await enforcementsOf(fired.id)).length === 2, { what: 'two enforcements' });
    const byRule = Object.fromEntries((await enforcementsOf(fired.id)).map((record) => [record.rule, record]));
    expect(byRule['demo.refused']).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/not registered/) });
    expect(byRule['demo.bad_template']).toMatchObject({ status: 'failed', failureReason: expect.stringMatching(/RULE_PARAMETER_RENDER_FAILED/) });
    expect(byRule['demo.refused']?.execution).toBeUndefined();
  });

  it('matches parameterised triggers by their parameters', async () => {
    await saveRule(store, rule('hook_a', { trigger: { type: 'core.st2.webhook', parameters: { url: 'a' } }, action: { ref: 'demo.notify' } }), 'api');
    await saveRule(store, rule('hook_b', { trigger: { type: 'core.st2.webhook', parameters: { url: 'b' } }, action: { ref: 'demo.notify' } }), 'api');
    const refA = triggerRefFor('core.st2.webhook', { url: 'a' });
    expect(await store.triggers.get(refA)).toMatchObject({ type: 'core.st2.webhook', parameters: { url: 'a' }, refCount: 1 });
    const fired = await dispatchTrigger(store, bus, { trigger: refA, payload: { headers: {}, body: {} }, source: 'test' });
    await retryUntil(async () => (await enforcementsOf(fired.id)).length === 1, { what: 'an enforcement' });
    expect((await enforcementsOf(fired.id))[0]?.rule).toBe('demo.hook_a');
    await deleteRule(store, 'demo.hook_a');
    expect(await store.triggers.get(refA)).toBeUndefined();
  });

  it('refuses rules that cannot work, naming the field', async () => {
    await expect(saveRule(store, rule('no_type', { trigger: { type: 'demo.unknown' }, action: { ref: 'demo.notify' } }), 'api')).rejects.toMatchObject({
      code: 'TRIGGER_TYPE_NOT_FOUND',
    });
    await expect(
      saveRule(store, rule('bad_params', { trigger: { type: 'core.st2.IntervalTimer', parameters: { unit: 'fortnights', delta: 1 } }, action: { ref: 'demo.notify' } }), 'api'),
    ).rejects.toMatchObject({ code: 'TRIGGER_PARAMETERS_INVALID' });
    await expect(
      saveRule(store, rule('bad_op', { trigger: { type: 'demo.event' }, criteria: { 'trigger.level': { type: 'sounds_like' } }, action: { ref: 'demo.notify' } }), 'api'),
    ).rejects.toMatchObject({ code: 'RULE_INVALID', message: expect.stringMatching(/unknown operator/) });
    expect(await store.rules.count({})).toBe(0);
  });

  it('keeps a pack rule disabled when the same install is registered again, not after a new install', async () => {
    const meta = rule('from_pack', { trigger: { type: 'demo.event' }, action: { ref: 'demo.notify' } });
    await saveRule(store, meta, 'pack', { installedAt: '2026-01-01T00:00:00.000Z' });
    await setRuleEnabled(store, 'demo.from_pack', false);
    await saveRule(store, meta, 'pack', { installedAt: '2026-01-01T00:00:00.000Z' });
    expect((await store.rules.get('demo.from_pack'))?.enabled).toBe(false);
    await saveRule(store, meta, 'pack', { installedAt: '2026-02-01T00:00:00.000Z' });
    expect((await store.rules.get('demo.from_pack'))?.enabled).toBe(true);
  });

  it('refuses a payload that does not match the trigger type schema', async () => {
    await expect(dispatchTrigger(store, bus, { trigger: 'demo.event', payload: { level: 3 }, source: 'test' })).rejects.toMatchObject({
      code: 'TRIGGER_PAYLOAD_INVALID',
    });
    await expect(dispatchTrigger(store, bus, { trigger: 'demo.nothing', payload: {}, source: 'test' })).rejects.toMatchObject({ code: 'TRIGGER_NOT_FOUND' });
  });

  it('enforces a rule once when the same trigger instance is delivered twice', async () => {
    await saveRule(store, rule('once', { trigger: { type: 'demo.event' }, action: { ref: 'demo.notify' } }), 'api');
    const message = { id: newId(), trigger: 'demo.event', payload: { level: 'x' }, occurredAt: nowIso(), source: 'test' };
    await bus.enqueue('trigger-instances', message);
    await bus.enqueue('trigger-instances', message);
    await retryUntil(async () => (await store.triggerInstances.get(message.id))?.status === 'processed', { what: 'processed' });
    const second = { ...message, id: newId() };
    await bus.enqueue('trigger-instances', second);
    await retryUntil(async () => (await store.triggerInstances.get(second.id))?.status === 'processed', { what: 'second processed' });
    expect(await enforcementsOf(message.id)).toHaveLength(1);
    expect(requests.filter((request) => request.triggerInstance === message.id)).toHaveLength(1);
  });
});
