import { rm } from 'node:fs/promises';
import type { Store } from '@packrun/core';
import type { ApiService } from '@packrun/api';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { nodeSensorPack, pythonSensorPack, writePack } from '../sensors/sensor-fixtures.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from './embedded-deployment.ts';

/**
 * The whole embedded deployment (embedded-deployment.ts) with a Node and a Python sensor pack
 * whose rules fire on their sensors, plus rules created through the API on webhooks and timers.
 */
let deployment: EmbeddedDeployment;
let store: Store;
let api: ApiService;
let sensors: SensorContainer;
const packDirs: string[] = [];

const call = (method: string, url: string, body?: unknown) => deployment.call(method, url, body);
const executionOf = (rule: string) => deployment.executionOf(rule);
const expectEnforced: EmbeddedDeployment['expectEnforced'] = (rule, execution) => deployment.expectEnforced(rule, execution);

const ruleFile = (lines: string[]) => `${lines.join('\n')}\n`;

beforeAll(async () => {
  const node = nodeSensorPack('1.0.0');
  delete node['sensors/crasher.yaml'];
  delete node['sensors/crasher.js'];
  node['rules/on_tick.yaml'] = ruleFile([
    'name: on_tick',
    'pack: nodesense',
    'enabled: true',
    'trigger: {type: nodesense.tick}',
    'criteria:',
    '  trigger.n: {type: equals, pattern: 2}',
    'action:',
    '  ref: core.local',
    '  parameters: {cmd: "echo node-tick-{{ trigger.n }}"}',
  ]);
  const python = pythonSensorPack();
  python['rules/on_poll.yaml'] = ruleFile([
    'name: on_poll',
    'pack: pysense',
    'enabled: true',
    'trigger: {type: pysense.poll}',
    'criteria:',
    '  trigger.count: {type: gt, pattern: 1}',
    '  trigger.who: {type: iequals, pattern: WORLD}',
    'action:',
    '  ref: core.local',
    '  parameters: {cmd: "echo python-poll-{{ trigger.count }}-{{ trigger.who }}"}',
  ]);
  packDirs.push(await writePack(node), await writePack(python));
  deployment = await startEmbeddedDeployment({ name: 'e2e-rules', packDirs });
  ({ store, api, sensors } = deployment);
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  for (const dir of packDirs) await rm(dir, { recursive: true, force: true });
});

describe('triggers to executions, end to end', () => {
  it('a Python sensor fires, a pack rule matches, the action runs and is stored with its enforcement', async () => {
    const execution = await executionOf('pysense.on_poll');
    expect(execution).toMatchObject({ action: 'core.local', status: 'succeeded', parameters: { cmd: 'echo python-poll-2-world' } });
    expect(execution.result).toMatchObject({ stdout: 'python-poll-2-world' });
    await expectEnforced('pysense.on_poll', execution);
  });

  it('a Node sensor fires, a pack rule matches, the action runs and is stored with its enforcement', async () => {
    const execution = await executionOf('nodesense.on_tick');
    expect(execution).toMatchObject({ action: 'core.local', status: 'succeeded', result: { stdout: 'node-tick-2' } });
    await expectEnforced('nodesense.on_tick', execution);
  });

  it('a webhook fires the rule created through the API', async () => {
    const created = await call('POST', '/api/v1/rules', {
      name: 'on_hook',
      pack: 'e2e',
      enabled: true,
      trigger: { type: 'core.st2.webhook', parameters: { url: '/e2e/hook' } },
      criteria: { 'trigger.body.kind': { type: 'equals', pattern: 'deploy' } },
      action: { ref: 'core.local', parameters: { cmd: 'echo hook-{{ trigger.body.app }}-{{ trigger.headers["x-source"] }}' } },
    });
    expect(created.statusCode).toBe(201);
    const ignored = await call('POST', '/api/v1/webhooks/e2e/hook', { kind: 'other', app: 'x' });
    expect(ignored.statusCode).toBe(202);
    const fired = await api.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/e2e/hook',
      headers: { 'x-api-key': deployment.apiKey, 'x-source': 'ci' },
      payload: { kind: 'deploy', app: 'web' },
    });
    expect(fired.statusCode).toBe(202);
    const execution = await executionOf('e2e.on_hook');
    expect(execution).toMatchObject({ status: 'succeeded', result: { stdout: 'hook-web-ci' } });
    await expectEnforced('e2e.on_hook', execution);
    const instance = await store.triggerInstances.get(execution.triggerInstance!);
    expect(instance?.payload['headers']).not.toHaveProperty('x-api-key');
    expect((await call('POST', '/api/v1/webhooks/nobody/listens', {})).json()).toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    const form = await api.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks/e2e/hook',
      headers: { 'x-api-key': deployment.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'kind=deploy&app=form&tag=a&tag=b',
    });
    expect(form.statusCode).toBe(202);
    const formId = (form.json() as { trigger_instance_ids: string[] }).trigger_instance_ids[0]!;
    await retryUntil(async () => (await store.triggerInstances.get(formId)) !== undefined, { what: 'the form-encoded instance' });
    const formInstance = await store.triggerInstances.get(formId);
    expect(formInstance?.payload['body']).toEqual({ kind: 'deploy', app: 'form', tag: ['a', 'b'] });
  });

  it('an interval timer fires the rule created through the API', async () => {
    const created = await call('POST', '/api/v1/rules', {
      name: 'every_second',
      pack: 'e2e',
      enabled: true,
      trigger: { type: 'core.st2.IntervalTimer', parameters: { unit: 'seconds', delta: 1 } },
      action: { ref: 'core.local', parameters: { cmd: 'echo timer {{ trigger.schedule }}' } },
    });
    expect(created.statusCode).toBe(201);
    await sensors.refresh();
    const execution = await executionOf('e2e.every_second');
    expect(execution).toMatchObject({ status: 'succeeded', result: { stdout: 'timer None' } });
    await expectEnforced('e2e.every_second', execution);
    // As st2 rule disable: the rule sent back with enabled false.
    const rule = (await call('GET', '/api/v1/rules/e2e.every_second')).json() as Record<string, unknown>;
    expect((await call('PUT', '/api/v1/rules/e2e.every_second', { ...rule, enabled: false })).json()).toMatchObject({ enabled: false });
    // A timer whose rules are all disabled stops firing: over ~2 s of Python sensor polls it stays put.
    await sensors.refresh();
    const timerRef = execution.context['trigger_instance'] as { name: string };
    const fired = async () => store.triggerInstances.count({ trigger: timerRef.name });
    const polls = async () => store.triggerInstances.count({ trigger: 'pysense.poll' });
    const [firedBefore, pollsBefore] = [await fired(), await polls()];
    await retryUntil(async () => (await polls()) >= pollsBefore + 10, { what: 'ten more polls' });
    expect(await fired()).toBeLessThanOrEqual(firedBefore + 1);
  });

  it('shows sensors, rules, trigger types and trigger instances through the API', async () => {
    const sensor = (await call('GET', '/api/v1/sensortypes/pysense.Poller')).json();
    expect(sensor).toMatchObject({ ref: 'pysense.Poller', status: 'running', enabled: true, trigger_types: ['pysense.poll'] });
    expect((await call('GET', '/api/v1/sensortypes/nope.Sensor')).statusCode).toBe(404);
    const listed = (await call('GET', '/api/v1/rules?pack=pysense')).json() as Array<{ ref: string }>;
    expect(listed.map((rule) => rule.ref)).toEqual(['pysense.on_poll']);
    const types = (await call('GET', '/api/v1/triggertypes')).json() as Array<{ ref: string }>;
    expect(types.map((type) => type.ref)).toEqual(expect.arrayContaining(['core.st2.webhook', 'pysense.poll', 'nodesense.tick']));
    const instances = (await call('GET', '/api/v1/triggerinstances?trigger=pysense.poll&limit=2')).json() as Array<{ id: string }>;
    expect(instances).toHaveLength(2);
    // The newest may still be in the rules engine's hands.
    await retryUntil(async () => (await call('GET', `/api/v1/triggerinstances/${instances[0]!.id}`)).json().status === 'processed', { what: 'processed' });
    const one = (await call('GET', `/api/v1/triggerinstances/${instances[0]!.id}`)).json();
    expect(one).toMatchObject({ trigger: 'pysense.poll', status: 'processed', occurrence_time: expect.any(String) });
    expect((await call('POST', '/api/v1/rules', { name: 'dup', pack: 'e2e', trigger: { type: 'nope.x' }, action: { ref: 'core.noop' } })).json()).toMatchObject({
      code: 'TRIGGER_TYPE_NOT_FOUND',
    });
    const fired = await call('POST', '/api/v1/webhooks/st2', { trigger: 'nodesense.tick', payload: { n: 'bad' } });
    expect(fired.json()).toMatchObject({ code: 'TRIGGER_PAYLOAD_INVALID' });
  });
});
