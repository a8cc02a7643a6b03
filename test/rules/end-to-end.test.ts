import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import {
  createInProcessBus,
  createLogger,
  dataPaths,
  loadConfig,
  openEmbeddedStore,
  openKeyValues,
  type Bus,
  type ExecutionRecord,
  type Store,
} from '@packrun/core';
import { createApiKey, startApiService, type ApiService } from '@packrun/api';
import { startActionRunnerService, type ActionRunnerService } from '@packrun/action-runner';
import { installPack } from '@packrun/pack-installer';
import { executionRequester, sitePackConfig, startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import { startSensorContainer, type SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { nodeSensorPack, pythonSensorPack, realPython, writePack } from '../sensors/sensor-fixtures.ts';

/**
 * The whole embedded deployment in the test process, as `packrun up` wires it: the API, an action
 * runner, the rules engine and the sensor container over the embedded store and the in-process
 * bus, with packs installed by the real installer. Sensors are real Python and Node processes and
 * actions really run.
 */
const repoRoot = path.resolve(import.meta.dirname, '../..');
const logger = createLogger({ level: process.env['PACKRUN_TEST_LOG_LEVEL'] ?? 'silent' });
let home: string;
let store: Store;
let bus: Bus;
let api: ApiService;
let runner: ActionRunnerService;
let rules: RulesEngine;
let sensors: SensorContainer;
let apiKey: string;
const packDirs: string[] = [];

function call(method: string, url: string, body?: unknown) {
  return api.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-api-key': apiKey },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}

const ruleFile = (lines: string[]) => `${lines.join('\n')}\n`;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'packrun-e2e-rules-'));
  const env = { PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', PACKRUN_RUNNER_HEARTBEAT: '1' };
  const config = loadConfig(env);
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
  await installPack([path.join(repoRoot, 'packs/core'), ...packDirs], { config });

  store = await openEmbeddedStore({ dir: dataPaths(home).store, logger });
  bus = createInProcessBus({ logger });
  const keyValues = openKeyValues(store, config);
  const paths = dataPaths(home);
  sensors = await startSensorContainer({
    store,
    bus,
    paths,
    config,
    keyValues,
    logger,
    backoff: { initialMs: 200, maxMs: 2000, stableMs: 10_000, failingAfter: 3 },
    stopGraceMs: 2000,
    refreshMs: 200,
  });
  api = await startApiService({ config, store, bus, keyValues, logger, listen: false, sensorContainer: sensors });
  rules = await startRulesEngine({ store, bus, keyValues, logger, requestExecution: executionRequester(api.executions, store), packConfig: sitePackConfig(paths, keyValues) });
  runner = await startActionRunnerService({ config, paths, bus, ledger: api.ledger, datastore: keyValues, logger, heartbeatMs: 1000 });
  apiKey = (await createApiKey(store, { user: 'tester' })).key;
}, 120_000);

afterAll(async () => {
  await sensors?.stop();
  await rules?.stop();
  await runner?.stop(2000);
  await api?.close();
  await bus?.close();
  await store?.close();
  for (const dir of [home, ...packDirs]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** The first finished execution of a rule, once there is one. */
async function executionOf(rule: string, withinMs = 20_000): Promise<ExecutionRecord> {
  let found: ExecutionRecord | undefined;
  await retryUntil(async () => {
    found = (await store.executions.find({ rule, status: { $in: ['succeeded', 'failed', 'timeout'] } }, { sort: { createdAt: 1 } }))[0];
    return found !== undefined;
  }, { what: `an execution of ${rule}`, withinMs });
  return found!;
}

async function expectEnforced(rule: string, execution: ExecutionRecord): Promise<void> {
  const enforcement = await store.ruleEnforcements.findOne({ rule, execution: execution.id });
  expect(enforcement).toMatchObject({ status: 'succeeded', triggerInstance: execution.triggerInstance });
  expect(execution.context).toMatchObject({ rule: { ref: rule }, trigger_instance: { id: execution.triggerInstance } });
}

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
      headers: { 'x-api-key': apiKey, 'x-source': 'ci' },
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
      headers: { 'x-api-key': apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'kind=deploy&app=form&tag=a&tag=b',
    });
    expect(form.statusCode).toBe(202);
    const formId = (form.json() as { triggerInstances: string[] }).triggerInstances[0]!;
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
      action: { ref: 'core.local', parameters: { cmd: 'echo timer {{ trigger.schedule.delta }}' } },
    });
    expect(created.statusCode).toBe(201);
    await sensors.refresh();
    const execution = await executionOf('e2e.every_second');
    expect(execution).toMatchObject({ status: 'succeeded', result: { stdout: 'timer 1' } });
    await expectEnforced('e2e.every_second', execution);
    expect((await call('POST', '/api/v1/rules/e2e.every_second/disable')).json()).toMatchObject({ enabled: false });
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
    const sensor = (await call('GET', '/api/v1/sensors/pysense.Poller')).json();
    expect(sensor).toMatchObject({ ref: 'pysense.Poller', status: 'running', enabled: true, triggerTypes: ['pysense.poll'] });
    expect((await call('GET', '/api/v1/sensors/nope.Sensor')).statusCode).toBe(404);
    const listed = (await call('GET', '/api/v1/rules?pack=pysense')).json() as Array<{ ref: string }>;
    expect(listed.map((rule) => rule.ref)).toEqual(['pysense.on_poll']);
    const types = (await call('GET', '/api/v1/triggertypes')).json() as Array<{ ref: string }>;
    expect(types.map((type) => type.ref)).toEqual(expect.arrayContaining(['core.st2.webhook', 'pysense.poll', 'nodesense.tick']));
    const instances = (await call('GET', '/api/v1/triggerinstances?trigger=pysense.poll&limit=2')).json() as Array<{ id: string }>;
    expect(instances).toHaveLength(2);
    // The newest may still be in the rules engine's hands.
    await retryUntil(async () => (await call('GET', `/api/v1/triggerinstances/${instances[0]!.id}`)).json().status === 'processed', { what: 'processed' });
    const one = (await call('GET', `/api/v1/triggerinstances/${instances[0]!.id}`)).json();
    expect(one).toMatchObject({ trigger: 'pysense.poll', status: 'processed', enforcements: expect.any(Array) });
    expect((await call('POST', '/api/v1/rules', { name: 'dup', pack: 'e2e', trigger: { type: 'nope.x' }, action: { ref: 'core.noop' } })).json()).toMatchObject({
      code: 'TRIGGER_TYPE_NOT_FOUND',
    });
    const fired = await call('POST', '/api/v1/webhooks/st2', { trigger: 'nodesense.tick', payload: { n: 'bad' } });
    expect(fired.json()).toMatchObject({ code: 'TRIGGER_PAYLOAD_INVALID' });
  });
});
