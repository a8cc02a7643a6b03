import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import amqp from 'amqplib';
import {
  createLogger,
  createRabbitMqBus,
  createSandboxDecorator,
  dataPaths,
  detectSandbox,
  loadConfig,
  newId,
  openEmbeddedStore,
  parseRuleMeta,
  type Bus,
  type SandboxHost,
  type Store,
} from '@packrun/core';
import { saveRule, startRulesEngine, type ExecutionRequest, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitNodeUnavailable, startRabbitNode, type RabbitNode } from '../helpers/rabbitmq-node.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot, testUidRange } from '../sandbox/sandbox-fixture.ts';
import { emitterOnlyPack, installSensorPack, pythonSensorPack, realPython, startTestSensorContainer, writePack } from './sensor-fixtures.ts';

/**
 * The distributed deployment with per-pack sensor identities: each pack's sensors get their own
 * RabbitMQ user (provisioned here with rabbitmqctl against a private node, which this file also
 * stops for 30 s, so never the machine's broker; the container finds that rabbitmqctl on its own)
 * and publish their dispatches straight to the trigger-dispatch exchange; the container's intake
 * turns them into trigger instances. The sensors run in the sandbox as in production (network on,
 * each in a network namespace of its own with the broker's port forwarded), so the test also
 * shows that they reach Packrun's own clients (pika, amqplib), nothing of the runtime's
 * credentials, and nothing of the host but the broker.
 */
const unavailable = rabbitNodeUnavailable();
if (unavailable !== undefined) console.log(`skipping the direct sensor publishing test: ${unavailable}`);

const prefix = 'direct';
const nodeUser = `${prefix}-sensor-nodesense`;
const pythonUser = `${prefix}-sensor-pysense`;

describe.skipIf(unavailable !== undefined)('sensors publishing straight to RabbitMQ (private node)', () => {
  const logger = createLogger({ level: 'silent' });
  const requests: ExecutionRequest[] = [];
  let node: RabbitNode;
  let home: string;
  const packDirs: string[] = [];
  let store: Store;
  let containerBus: Bus;
  let engineBus: Bus;
  let engine: RulesEngine;
  let container: SensorContainer;
  let host: SandboxHost;
  let hostService: net.Server;

  const ctl = (...args: string[]): string => {
    const result = spawnSync(node.ctl, args, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };

  beforeAll(async () => {
    // As the operator sets it up (docs/deployment.md): the runtime logs in as a user of its own
    // and the broker has no guest, so the container chooses direct publishing on its own.
    node = await startRabbitNode({ hardened: true });
    // A service of the host's on its loopback: a sensor reaches the broker's port and not this.
    hostService = net.createServer((socket) => socket.end('host\n'));
    await new Promise<void>((resolve) => hostService.listen(0, '127.0.0.1', resolve));
    const hostServicePort = (hostService.address() as net.AddressInfo).port;
    const nodeFiles = emitterOnlyPack('1.0.0');
    // Reports what a sensor process can see of the runtime's broker credentials and of the host,
    // once, through its own pack's identity.
    nodeFiles['sensors/snoop.yaml'] = 'class_name: Snoop\nentry_point: snoop.mjs\ntrigger_types: []\n';
    nodeFiles['sensors/snoop.mjs'] = `
import { existsSync } from 'node:fs';
import net from 'node:net';
const reach = (port) => new Promise((resolve) => {
  const socket = net.connect({ host: '127.0.0.1', port, timeout: 3000 });
  socket.on('connect', () => { socket.destroy(); resolve(true); });
  socket.on('timeout', () => { socket.destroy(); resolve(false); });
  socket.on('error', () => resolve(false));
});
export default class Snoop {
  constructor(service) { this.service = service; }
  async run() {
    const env = JSON.stringify(process.env);
    this.service.dispatch('nodesense.changed', {
      snoop: true,
      rabbitmqUrl: env.includes('PACKRUN_RABBITMQ'),
      guest: env.includes('guest'),
      packrunUser: env.includes('packrun:'),
      uid: process.getuid(),
      runtimeSourceVisible: existsSync(${JSON.stringify(path.join(repoRoot, 'packages', 'core', 'src'))}),
      brokerPort: await reach(${node.port}),
      hostService: await reach(${hostServicePort}),
      machineBroker: await reach(5672),
    });
    await new Promise(() => {});
  }
}
`;
    packDirs.push(await writePack(nodeFiles), await writePack(pythonSensorPack()));
    home = `${packDirs[0]}-home`;
    const config = loadConfig({
      PACKRUN_HOME: home,
      PACKRUN_PYTHON: realPython(),
      PACKRUN_RABBITMQ_URL: node.url,
      PACKRUN_RABBITMQ_PREFIX: prefix,
      PACKRUN_RABBITMQCTL: node.ctl,
      ...testUidRange(),
    });
    host = await detectSandbox(config);
    store = await openEmbeddedStore({ dir: dataPaths(home).store });
    for (const dir of packDirs) {
      await installSensorPack(dir, config, store);
    }
    for (const [pack, trigger] of [['nodesense', 'nodesense.tick'], ['pysense', 'pysense.poll']] as const) {
      const rule = parseRuleMeta(
        { name: 'on_dispatch', pack, enabled: true, trigger: { type: trigger }, action: { ref: 'core.local', parameters: { cmd: 'true' } } },
        { file: 'api', pack },
      ).meta;
      await saveRule(store, rule, 'api');
    }
    const busOptions = { url: node.url, prefix, reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 500, enqueueTimeoutMs: 120_000, logger };
    containerBus = createRabbitMqBus(busOptions);
    engineBus = createRabbitMqBus(busOptions);
    await Promise.all([containerBus.waitReady(20_000), engineBus.waitReady(20_000)]);
    engine = await startRulesEngine({
      store,
      bus: engineBus,
      logger,
      requestExecution: async (request) => {
        requests.push(request);
        return { id: newId() };
      },
    });
    container = await startTestSensorContainer(home, {
      store,
      bus: containerBus,
      config,
      logger,
      decorator: createSandboxDecorator({ host, config, logger }),
      stopGraceMs: 4000,
    });
  }, 240_000);

  afterAll(async () => {
    await container?.stop();
    await engine?.stop();
    await containerBus?.close();
    await engineBus?.close();
    await store?.close();
    await node?.dispose();
    hostService?.close();
    for (const dir of [home, ...packDirs]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const values = async (trigger: string, field: string): Promise<number[]> =>
    (await store.triggerInstances.find({ trigger })).map((instance) => Number(instance.payload[field])).sort((a, b) => a - b);

  it('gives each pack its own user, and its sensors publish with it; rules fire', async () => {
    await retryUntil(async () => (await values('nodesense.tick', 'n')).length >= 5 && (await values('pysense.poll', 'count')).length >= 3, {
      what: 'trigger instances from both sensors',
      withinMs: 60_000,
    });
    // The dispatches came over connections of the packs' own users, not the container's.
    const users = ctl('list_connections', 'user', '--no-table-headers', '--quiet').split('\n').map((line) => line.trim());
    expect(users).toContain(nodeUser);
    expect(users).toContain(pythonUser);
    const permissions = ctl('list_user_permissions', nodeUser, '--no-table-headers', '--quiet');
    expect(permissions).toContain('direct\\.trigger-dispatch');
    const topic = ctl('list_user_topic_permissions', nodeUser, '--no-table-headers', '--quiet');
    expect(topic).toContain('^nodesense\\.');
    await retryUntil(() => requests.some((request) => request.rule === 'nodesense.on_dispatch') && requests.some((request) => request.rule === 'pysense.on_dispatch'), {
      what: 'both rules firing',
      withinMs: 30_000,
    });
    // And through the intake, not the control channel.
    await retryUntil(() => (container.dispatchCounts()?.accepted ?? 0) >= 8, { what: 'ticks counted by the dispatch intake', withinMs: 10_000 });
    const instance = await store.triggerInstances.findOne({ trigger: 'pysense.poll' });
    expect(instance?.source).toBe('pysense.Poller');
    await retryUntil(async () => (await store.triggerInstances.find({ trigger: 'nodesense.changed' })).some((entry) => entry.payload['snoop'] === true), {
      what: 'the snooping sensor reporting',
    });
    const snoop = (await store.triggerInstances.find({ trigger: 'nodesense.changed' })).find((entry) => entry.payload['snoop'] === true);
    expect(snoop?.payload).toMatchObject({ rabbitmqUrl: false, guest: false, packrunUser: false });
    // Under the network layer the sensor has exactly one way to the host: the broker's port,
    // forwarded to its own loopback; the host's other services stay out of reach.
    if (host.network) expect(snoop?.payload).toMatchObject({ brokerPort: true, hostService: false, machineBroker: false });
    else console.log('the network layer is not active here: the sensors shared the host network namespace');
    // It ran sandboxed, and still loaded Packrun's amqplib: in a job uid, and (bubblewrap) seeing
    // only the runtime folders and the client's, not the runtime's sources.
    if (host.uidRange) expect(Number(snoop?.payload['uid'])).toBeGreaterThanOrEqual(host.uidRange.first);
    if (host.bwrap) expect(snoop?.payload['runtimeSourceVisible']).toBe(false);
    else console.log('bubblewrap is not active here: the sensors ran without a mount namespace');
  });

  it('drops and counts a payload that does not match payload_schema', async () => {
    // The Node sensor's setup() dispatches {n: 'not a number'}.
    await retryUntil(() => (container.dispatchCounts()?.invalid ?? 0) >= 1, { what: 'the invalid dispatch counted', withinMs: 30_000 });
    const ticks = await store.triggerInstances.find({ trigger: 'nodesense.tick' });
    expect(ticks.some((instance) => typeof instance.payload['n'] !== 'number')).toBe(false);
  });

  it('processes every trigger dispatched before, during and after a 30 s outage, each exactly once', async () => {
    const beforeNode = Math.max(...(await values('nodesense.tick', 'n')));
    const beforePython = Math.max(...(await values('pysense.poll', 'count')));
    await node.stop();
    await retryUntil(() => !containerBus.ready, { what: 'the container noticing the outage' });
    // The outage length is the requirement under test (sensors keep dispatching for 30 s into
    // their buffers), not a wait for something to happen, so it is a plain timer.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    await node.start();
    // 30 s of ticks every 100 ms (Node) and polls every 200 ms (Python) were made during the outage.
    await retryUntil(
      async () => Math.max(...(await values('nodesense.tick', 'n'))) > beforeNode + 300 && Math.max(...(await values('pysense.poll', 'count'))) > beforePython + 150,
      { what: 'dispatches from during and after the outage', withinMs: 90_000, everyMs: 500 },
    );
    for (const [trigger, field] of [['nodesense.tick', 'n'], ['pysense.poll', 'count']] as const) {
      const seen = await values(trigger, field);
      const upTo = seen.at(-1)! - 10;
      const counted = new Map<number, number>();
      for (const value of seen) counted.set(value, (counted.get(value) ?? 0) + 1);
      const expected = Array.from({ length: upTo - seen[0]! + 1 }, (_, i) => seen[0]! + i);
      expect(expected.filter((value) => counted.get(value) === undefined), `${trigger} lost`).toEqual([]);
      expect(expected.filter((value) => (counted.get(value) ?? 0) > 1), `${trigger} twice`).toEqual([]);
      await retryUntil(
        async () => (await store.triggerInstances.find({ trigger })).filter((instance) => Number(instance.payload[field]) <= upTo && instance.status !== 'processed').length === 0,
        { what: `every ${trigger} instance processed`, withinMs: 60_000, everyMs: 500 },
      );
    }
  }, 240_000);

  it("refuses the pack's identity anything but its own pack's routing keys on the dispatch exchange", async () => {
    // The password lives only in the container's memory; the test, as the broker's administrator,
    // sets one it knows on the provisioned user to act as that pack.
    ctl('change_password', nodeUser, 'known-for-the-test');
    const url = new URL(node.url);
    url.username = nodeUser;
    url.password = 'known-for-the-test';
    const connection = await amqp.connect(url.toString());
    try {
      // The broker's reply code when it refuses the operation (closing the channel), else undefined.
      const refused = async (what: (channel: amqp.ConfirmChannel) => Promise<unknown>): Promise<number | undefined> => {
        const channel = await connection.createConfirmChannel();
        const errors: Array<{ code?: number }> = [];
        channel.on('error', (error: { code?: number }) => errors.push(error));
        try {
          await what(channel);
          await channel.close();
          return undefined;
        } catch (error) {
          errors.push(error as { code?: number });
          await retryUntil(() => errors.some((entry) => entry.code !== undefined), { what: 'the reply code of the refusal' });
          return errors.find((entry) => entry.code !== undefined)?.code;
        }
      };
      const publish = (key: string, body: object) => (channel: amqp.ConfirmChannel) =>
        new Promise<void>((resolve, reject) => {
          channel.publish(`${prefix}.trigger-dispatch`, key, Buffer.from(JSON.stringify(body)), { messageId: newId(), persistent: true }, (error) =>
            error ? reject(error) : resolve(),
          );
        });
      expect(await refused(publish('pysense.poll', { trigger: 'pysense.poll', payload: { count: 1 } }))).toBe(403);
      expect(await refused((channel) => channel.checkQueue(`${prefix}.executions`).then(() => channel.get(`${prefix}.executions`)))).toBe(403);
      expect(await refused((channel) => channel.assertQueue('sneaky', { durable: true }))).toBe(403);
      expect(await refused(publish(`${prefix}.executions`, { action: 'core.local' }))).toBe(403);
      // Its own key is accepted, but a body naming another pack's trigger is dropped by the intake.
      const foreignBefore = container.dispatchCounts()?.foreign ?? 0;
      expect(await refused(publish('nodesense.tick', { trigger: 'pysense.poll', payload: { count: -1 } }))).toBeUndefined();
      await retryUntil(() => (container.dispatchCounts()?.foreign ?? 0) > foreignBefore, { what: 'the foreign trigger dropped' });
      expect((await values('pysense.poll', 'count')).includes(-1)).toBe(false);
    } finally {
      await connection.close().catch(() => undefined);
    }
  });
});
