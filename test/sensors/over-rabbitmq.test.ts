import { rm } from 'node:fs/promises';
import amqp from 'amqplib';
import {
  createLogger,
  createRabbitMqBus,
  dataPaths,
  loadConfig,
  newId,
  openEmbeddedStore,
  parseRuleMeta,
  queueNames,
  type Bus,
  type Store,
} from '@packrun/core';
import { saveRule, startRulesEngine, type ExecutionRequest, type RulesEngine } from '@packrun/rules-engine';
import { sensorApiRoutes, type SensorContainer } from '@packrun/sensor-container';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { emitterOnlyPack, installSensorPack, realPython, startTestSensorContainer, writePack } from './sensor-fixtures.ts';

/**
 * The distributed wiring: the sensor container and the rules engine each with their own
 * connection to the machine's RabbitMQ (as two processes would have), sharing a store. What a
 * sensor dispatches crosses the broker's durable trigger-instances queue to the rules engine.
 */
const url = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `packrun-test-sensors-${process.pid}-${Date.now().toString(36)}`;
const logger = createLogger({ level: 'silent' });
let home: string;
let packDir: string;
let store: Store;
let containerBus: Bus;
let engineBus: Bus;
let engine: RulesEngine;
let container: SensorContainer;
const requests: ExecutionRequest[] = [];

beforeAll(async () => {
  packDir = await writePack(emitterOnlyPack('1.0.0'));
  home = `${packDir}-home`;
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_RABBITMQ_URL: url });
  store = await openEmbeddedStore({ dir: dataPaths(home).store });
  await installSensorPack(packDir, config, store);
  const rule = parseRuleMeta(
    {
      name: 'every_fifth',
      pack: 'nodesense',
      enabled: true,
      trigger: { type: 'nodesense.tick' },
      criteria: { 'trigger.n': { type: 'inside', pattern: [5, 10] } },
      action: { ref: 'core.local', parameters: { cmd: 'echo {{ trigger.n }}' } },
    },
    { file: 'api', pack: 'nodesense' },
  ).meta;
  await saveRule(store, rule, 'api');
  containerBus = createRabbitMqBus({ url, prefix, logger });
  engineBus = createRabbitMqBus({ url, prefix, logger });
  await Promise.all([containerBus.waitReady(10_000), engineBus.waitReady(10_000)]);
  engine = await startRulesEngine({
    store,
    bus: engineBus,
    logger,
    requestExecution: async (request) => {
      requests.push(request);
      return { id: newId() };
    },
  });
  container = await startTestSensorContainer(home, { store, bus: containerBus, config, logger });
}, 120_000);

afterAll(async () => {
  await container?.stop();
  await engine?.stop();
  await containerBus?.close();
  await engineBus?.close();
  await store?.close();
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
  await channel.deleteExchange(`${prefix}.events`);
  await connection.close();
  for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sensor container and rules engine over RabbitMQ', () => {
  it('carries sensor dispatches through the broker to the rules engine', async () => {
    await retryUntil(() => requests.length >= 2, { what: 'two rule matches', withinMs: 20_000 });
    expect(requests.slice(0, 2).map((request) => request.parameters)).toEqual([{ cmd: 'echo 5' }, { cmd: 'echo 10' }]);
    const instance = await store.triggerInstances.get(requests[0]!.triggerInstance);
    expect(instance).toMatchObject({ trigger: 'nodesense.tick', source: 'nodesense.Emitter', payload: { n: 5 } });
    expect(await store.ruleEnforcements.count({ rule: 'nodesense.every_fifth', status: 'succeeded' })).toBeGreaterThanOrEqual(2);
  });

  it('shows sensor state to an API without the container, and restarts through the store', async () => {
    const app = Fastify();
    sensorApiRoutes(app, { store });
    const get = async () => (await app.inject({ method: 'GET', url: '/api/v1/sensortypes/nodesense.Emitter' })).json() as { status: string; pid?: number; starts: number };
    await retryUntil(async () => (await get()).status === 'running', { what: 'the reported state' });
    const before = await get();
    expect(before.pid).toBeGreaterThan(0);
    expect((await app.inject({ method: 'POST', url: '/api/v1/sensortypes/nodesense.Emitter/restart' })).statusCode).toBe(200);
    await retryUntil(async () => {
      const now = await get();
      return now.status === 'running' && now.pid !== before.pid;
    }, { what: 'a restart by the remote container', withinMs: 10_000 });
    expect((await get()).starts).toBe(before.starts + 1);
    await app.close();
  });

  it('publishes the sensor\'s new state and the trigger instances through the broker, to another connection (the API\'s)', async () => {
    // What the API's stream would show when each event arrives: the record as it is then.
    const seen: Array<{ status: unknown; pid: unknown }> = [];
    const sensorEvents = await engineBus.subscribe('sensor-updates', async (event) => {
      if (event.ref !== 'nodesense.Emitter') return;
      const runtime = (await store.sensors.get(event.ref))?.runtime;
      seen.push({ status: runtime?.['status'], pid: runtime?.['pid'] });
    });
    const instances: Array<{ id: string; status: string; created: boolean }> = [];
    const instanceEvents = await containerBus.subscribe('trigger-instance-updates', (event) => {
      instances.push(event);
    });
    try {
      const before = (await store.sensors.get('nodesense.Emitter'))?.runtime?.['pid'];
      await store.sensors.update({ id: 'nodesense.Emitter' }, { set: { restartRequestedAt: new Date().toISOString() } });
      await retryUntil(() => seen.some((state) => state.status === 'running' && state.pid !== before), { what: 'the restarted state published after it was stored', withinMs: 10_000 });
      // The rules engine, on its own connection, publishes what it stores and processes.
      await retryUntil(() => instances.some((event) => !event.created && event.status === 'processed' && instances.some((other) => other.id === event.id && other.created)), {
        what: 'an instance created and processed',
      });
    } finally {
      await sensorEvents.unsubscribe();
      await instanceEvents.unsubscribe();
    }
  });
});
