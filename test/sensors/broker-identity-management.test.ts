import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import {
  createLogger,
  createRabbitMqBus,
  dataPaths,
  loadConfig,
  newId,
  openEmbeddedStore,
  type Bus,
  type PackrunConfig,
  type Store,
} from '@packrun/core';
import { startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import { chooseSensorPublishing, type SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitNodeUnavailable, startRabbitNode, type RabbitNode } from '../helpers/rabbitmq-node.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { emitterOnlyPack, installSensorPack, realPython, startTestSensorContainer, writePack } from './sensor-fixtures.ts';

/**
 * Sensor identities provisioned through the RabbitMQ management API (the operator's preferred
 * backend), on a private node with the management plugin, never the machine's broker; set up as
 * an operator should (an administrator of Packrun's own, no guest), so that the container chooses
 * direct publishing itself.
 */
const unavailable = rabbitNodeUnavailable();
if (unavailable !== undefined) console.log(`skipping the management-API sensor identity test: ${unavailable}`);

const prefix = 'mgmt';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
const user = `${prefix}-sensor-nodesense`;

describe.skipIf(unavailable !== undefined)('sensor identities through the management API (private node)', () => {
  const logger = createLogger({ level: 'silent' });
  let node: RabbitNode;
  let home: string;
  let packDir: string;
  let config: PackrunConfig;
  let store: Store;
  let containerBus: Bus;
  let engineBus: Bus;
  let engine: RulesEngine;
  let container: SensorContainer | undefined;

  const management = async (route: string): Promise<unknown> => {
    const url = new URL(node.managementUrl!);
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    const response = await fetch(`http://${url.host}${route}`, { headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } });
    if (!response.ok) throw new Error(`GET ${route}: ${response.status}`);
    return await response.json();
  };

  const start = (settings: PackrunConfig): Promise<SensorContainer> =>
    startTestSensorContainer(home, { store, bus: containerBus, config: settings, logger, stopGraceMs: 4000, timers: false });

  const ticks = (): Promise<number> => store.triggerInstances.count({ trigger: 'nodesense.tick' });

  beforeAll(async () => {
    // RabbitMQ's own management port when it is free here: the container then finds the API on
    // its own, from PACKRUN_RABBITMQ_URL's host and credentials.
    node = await startRabbitNode({ management: true, hardened: true, ...((await portFree(15672)) ? { managementPort: 15672 } : {}) });
    packDir = await writePack(emitterOnlyPack('1.0.0'));
    home = `${packDir}-home`;
    config = loadConfig({
      PACKRUN_HOME: home,
      PACKRUN_PYTHON: realPython(),
      PACKRUN_RABBITMQ_URL: node.url,
      PACKRUN_RABBITMQ_PREFIX: prefix,
      PACKRUN_RABBITMQ_MANAGEMENT_URL: node.managementUrl!,
    });
    store = await openEmbeddedStore({ dir: dataPaths(home).store });
    await installSensorPack(packDir, config, store);
    const busOptions = { url: node.url, prefix, logger };
    containerBus = createRabbitMqBus(busOptions);
    engineBus = createRabbitMqBus(busOptions);
    await Promise.all([containerBus.waitReady(20_000), engineBus.waitReady(20_000)]);
    engine = await startRulesEngine({ store, bus: engineBus, logger, requestExecution: async () => ({ id: newId() }) });
    // The management listener may come up a moment after AMQP.
    await retryUntil(async () => (await management('/api/overview').catch(() => undefined)) !== undefined, { what: 'the management API', withinMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await container?.stop();
    await engine?.stop();
    await containerBus?.close();
    await engineBus?.close();
    await store?.close();
    await node?.dispose();
    for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('chooses direct publishing on its own when the broker\'s management API takes the runtime\'s credentials', async (context) => {
    if (node.managementPort !== 15672) return context.skip('port 15672 was taken here: the private node listens for management elsewhere');
    const found = await chooseSensorPublishing(loadConfig({ PACKRUN_HOME: home, PACKRUN_RABBITMQ_URL: node.url, PACKRUN_RABBITMQCTL: '/nonexistent' }));
    expect(found).toMatchObject({ path: 'direct', via: 'management' });
    expect(found.reason).toContain('127.0.0.1:15672');
  });

  it('keeps the container publishing while the broker takes guest:guest, and refuses to be told otherwise', async () => {
    const asGuest = new URL(node.url);
    asGuest.username = 'guest';
    asGuest.password = 'guest';
    const guestRuntime = await chooseSensorPublishing(loadConfig({ PACKRUN_HOME: home, PACKRUN_RABBITMQ_URL: asGuest.toString(), PACKRUN_RABBITMQ_MANAGEMENT_URL: node.managementUrl! }));
    expect(guestRuntime.path).toBe('container');
    expect(guestRuntime.reason).toContain('is guest');
    // The runtime has a user of its own, but the broker still lets guest:guest in: a sensor
    // reaching the broker's port could log in as it.
    const ctl = (...args: string[]) => expect(spawnSync(node.ctl, args, { encoding: 'utf8', timeout: 60_000 }).status).toBe(0);
    ctl('add_user', 'guest', 'guest');
    ctl('set_permissions', '-p', '/', 'guest', '.*', '.*', '.*');
    try {
      const defaultGuest = await chooseSensorPublishing(config);
      expect(defaultGuest.path).toBe('container');
      expect(defaultGuest.reason).toContain('guest:guest');
      const told = loadConfig({ PACKRUN_HOME: home, PACKRUN_RABBITMQ_URL: node.url, PACKRUN_RABBITMQ_MANAGEMENT_URL: node.managementUrl!, PACKRUN_SENSOR_BROKER_IDENTITY: 'management' });
      await expect(chooseSensorPublishing(told)).rejects.toMatchObject({ code: 'BROKER_GUEST_REFUSED' });
    } finally {
      ctl('delete_user', 'guest');
    }
  });

  it('refuses management mode without a management URL', async () => {
    const broken = loadConfig({ PACKRUN_HOME: home, PACKRUN_RABBITMQ_URL: node.url, PACKRUN_SENSOR_BROKER_IDENTITY: 'management' });
    await expect(start(broken)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it("creates the pack's user with only the dispatch exchange and its own routing keys, and its sensor publishes with it", async () => {
    container = await start(config);
    await retryUntil(async () => (await ticks()) >= 5, { what: 'ticks published by the sensor', withinMs: 30_000 });
    // The engine may see a tick before the dispatch intake has counted it: wait for both.
    await retryUntil(() => (container?.dispatchCounts()?.accepted ?? 0) >= 5, { what: 'ticks counted by the dispatch intake', withinMs: 5000 });
    expect(await management(`/api/users/${user}`)).toMatchObject({ name: user, tags: [] });
    expect(await management(`/api/permissions/%2F/${user}`)).toMatchObject({ configure: '^$', write: `^${prefix}\\.trigger-dispatch$`, read: '^$' });
    expect(await management(`/api/topic-permissions/%2F/${user}`)).toEqual([
      expect.objectContaining({ exchange: `${prefix}.trigger-dispatch`, write: '^nodesense\\.', read: '^$' }),
    ]);
    // The management plugin lists connections from statistics it gathers every few seconds.
    await retryUntil(async () => ((await management('/api/connections')) as Array<{ user: string }>).some((connection) => connection.user === user), {
      what: `a connection of ${user}`,
      withinMs: 30_000,
    });
  });

  it('provisions again on the next container start (a new password) and the sensor publishes on', async () => {
    await container?.stop();
    container = await start(config);
    const before = await ticks();
    await retryUntil(async () => (await ticks()) >= before + 5, { what: 'ticks after the restart', withinMs: 30_000 });
  });
});
