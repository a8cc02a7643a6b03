import { rm } from 'node:fs/promises';
import amqp from 'amqplib';
import {
  createInProcessBus,
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
import { saveRule, startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { installSensorPack, realPython, startTestSensorContainer, triggerInstancesOf, writePack } from '../sensors/sensor-fixtures.ts';

/**
 * A sensor's dispatch went to the rules engine whatever trigger it named: a sensor of one pack
 * fired another pack's trigger types (and the triggers rules made from them), so that pack's
 * rules ran its actions on a payload the impostor chose. Over the control channel (embedded, and
 * the container publishing for a sensor over RabbitMQ in the distributed deployment) the
 * container now accepts only the sensor's own pack's. The direct RabbitMQ path is confined by the
 * broker's topic permissions and the intake (test/sensors/direct-publish.test.ts).
 */
const logger = createLogger({ level: 'silent' });
const rabbitmqUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

const victimPack: Record<string, string> = {
  'pack.yaml': 'ref: victim\nname: victim\ndescription: owns triggers\nversion: 1.0.0\nauthor: tests\n',
  'sensors/quiet.yaml': [
    'class_name: Quiet',
    'entry_point: quiet.py',
    'poll_interval: 3600',
    'trigger_types:',
    '  - name: deploy',
    '  - name: watched',
    '    parameters_schema: {type: object, properties: {path: {type: string}}, required: [path]}',
  ].join('\n'),
  'sensors/quiet.py': [
    'from st2reactor.sensor.base import PollingSensor',
    'class Quiet(PollingSensor):',
    '    def setup(self): pass',
    '    def poll(self): pass',
    '    def cleanup(self): pass',
    '    def add_trigger(self, trigger): pass',
    '    def update_trigger(self, trigger): pass',
    '    def remove_trigger(self, trigger): pass',
  ].join('\n'),
};

const impostorPack: Record<string, string> = {
  'pack.yaml': 'ref: impostor\nname: impostor\ndescription: fires what is not its own\nversion: 1.0.0\nauthor: tests\n',
  'sensors/fake.yaml': [
    'class_name: Fake',
    'entry_point: fake.py',
    'poll_interval: 0.3',
    'trigger_types:',
    '  - name: own',
    '  - name: path',
    '    parameters_schema: {type: object, properties: {path: {type: string}}, required: [path]}',
    // StackStorm's metadata may name a pack here; the type is still registered under this pack.
    '  - name: deploy',
    '    pack: victim',
  ].join('\n'),
  'sensors/fake.py': [
    'from st2reactor.sensor.base import PollingSensor',
    'class Fake(PollingSensor):',
    '    def setup(self): self.n = 0',
    '    def poll(self):',
    '        self.n += 1',
    "        self.sensor_service.dispatch('victim.deploy', {'by': 'impostor', 'n': self.n})",
    "        self.sensor_service.dispatch({'type': 'victim.watched', 'parameters': {'path': '/etc'}}, {'by': 'impostor'})",
    "        self.sensor_service.dispatch('impostor.own', {'n': self.n})",
    "        self.sensor_service.dispatch({'type': 'impostor.path', 'parameters': {'path': '/tmp'}}, {'n': self.n})",
    '    def cleanup(self): pass',
    '    def add_trigger(self, trigger): pass',
    '    def update_trigger(self, trigger): pass',
    '    def remove_trigger(self, trigger): pass',
  ].join('\n'),
};

interface Deployment {
  home: string;
  store: Store;
  engine: RulesEngine;
  container: SensorContainer;
  buses: Bus[];
  packDirs: string[];
  watchedTrigger: string;
  ownTrigger: string;
}

/** Both packs installed, a rule of the victim on a parameterised trigger of its own, the sensors running. */
async function deploy(name: string, buses: () => { container: Bus; engine: Bus }, env: Record<string, string> = {}): Promise<Deployment> {
  const packDirs = [await writePack(victimPack), await writePack(impostorPack)];
  const home = `${packDirs[0]}-${name}-home`;
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), ...env });
  const store = await openEmbeddedStore({ dir: dataPaths(home).store });
  for (const dir of packDirs) await installSensorPack(dir, config, store);
  const rule = parseRuleMeta(
    { name: 'on_watched', pack: 'victim', enabled: true, trigger: { type: 'victim.watched', parameters: { path: '/etc' } }, action: { ref: 'core.noop' } },
    { file: 'api', pack: 'victim' },
  ).meta;
  const ownRule = parseRuleMeta(
    { name: 'on_path', pack: 'impostor', enabled: true, trigger: { type: 'impostor.path', parameters: { path: '/tmp' } }, action: { ref: 'core.noop' } },
    { file: 'api', pack: 'impostor' },
  ).meta;
  await saveRule(store, rule, 'api');
  await saveRule(store, ownRule, 'api');
  const watchedTrigger = (await store.rules.get('victim.on_watched'))!.trigger.ref!;
  const ownTrigger = (await store.rules.get('impostor.on_path'))!.trigger.ref!;
  const bus = buses();
  const all = [...new Set([bus.container, bus.engine])];
  for (const one of all) await one.waitReady(10_000);
  const engine = await startRulesEngine({ store, bus: bus.engine, logger, requestExecution: async () => ({ id: newId() }) });
  const container = await startTestSensorContainer(home, { store, bus: bus.container, config, logger, refreshMs: 200 });
  return { home, store, engine, container, buses: all, packDirs, watchedTrigger, ownTrigger };
}

async function stop(deployment: Deployment | undefined): Promise<void> {
  if (!deployment) return;
  await deployment.container.stop();
  await deployment.engine.stop();
  for (const bus of deployment.buses) await bus.close();
  await deployment.store.close();
  for (const dir of [deployment.home, ...deployment.packDirs]) await rm(dir, { recursive: true, force: true });
}

/** Once the impostor's own trigger types and triggers fired a few times, none of the victim's came from it. */
async function expectOnlyOwnTriggers(deployment: Deployment): Promise<void> {
  const { store } = deployment;
  await retryUntil(async () => (await triggerInstancesOf(store, 'impostor.own')).length >= 3, { what: "the impostor's own trigger", withinMs: 30_000 });
  await retryUntil(async () => (await triggerInstancesOf(store, deployment.ownTrigger)).length >= 3, { what: "the trigger a rule made from the impostor's own type" });
  expect((await triggerInstancesOf(store, 'victim.deploy')).map((instance) => instance.source)).toEqual([]);
  expect((await triggerInstancesOf(store, deployment.watchedTrigger)).map((instance) => instance.source)).toEqual([]);
  // The type the impostor's metadata put in the victim's pack is registered as its own.
  expect(await store.triggerTypes.get('impostor.deploy')).toMatchObject({ pack: 'impostor' });
  expect(await store.triggerTypes.get('victim.deploy')).toMatchObject({ pack: 'victim' });
}

describe("a sensor dispatching another pack's trigger", () => {
  let embedded: Deployment | undefined;
  let distributed: Deployment | undefined;
  const prefix = `packrun-test-security-${process.pid}-${Date.now().toString(36)}`;

  afterAll(async () => {
    await stop(embedded);
    await stop(distributed);
    const connection = await amqp.connect(rabbitmqUrl);
    const channel = await connection.createChannel();
    for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
    await connection.close();
  });

  it('is dropped on the embedded control channel', async () => {
    const bus = createInProcessBus({ logger });
    embedded = await deploy('embedded', () => ({ container: bus, engine: bus }));
    await expectOnlyOwnTriggers(embedded);
  });

  it('is dropped when the container publishes for the sensor over RabbitMQ', async () => {
    distributed = await deploy(
      'distributed',
      () => ({ container: createRabbitMqBus({ url: rabbitmqUrl, prefix, logger }), engine: createRabbitMqBus({ url: rabbitmqUrl, prefix, logger }) }),
      { PACKRUN_RABBITMQ_URL: rabbitmqUrl, PACKRUN_RABBITMQ_PREFIX: prefix },
    );
    await expectOnlyOwnTriggers(distributed);
  });
});
