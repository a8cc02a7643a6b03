import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  createInProcessBus,
  createLogger,
  dataPaths,
  loadConfig,
  newId,
  openEmbeddedStore,
  parseRuleMeta,
  type Bus,
  type Store,
} from '@packrun/core';
import { deleteRule, saveRule, startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { installSensorPack, realPython, sensorView, startTestSensorContainer, triggerInstancesOf, writePack } from './sensor-fixtures.ts';

/**
 * Python sensors through the real Python wrapper: trigger changes reach add_trigger/remove_trigger,
 * the datastore answers over the control channel, a stop runs cleanup(), and a sensor whose run()
 * raises is reported with the exception and restarted.
 */
const pack: Record<string, string> = {
  'pack.yaml': 'ref: pywatch\nname: pywatch\ndescription: Python sensors for tests\nversion: 1.0.0\nauthor: tests\n',
  'sensors/watcher.yaml': [
    'class_name: Watcher',
    'entry_point: watcher.py',
    'trigger_types:',
    '  - name: beat',
    '  - name: changed',
    '  - name: cleaned',
    '  - name: path',
    '    parameters_schema: {type: object, properties: {path: {type: string}}, required: [path]}',
  ].join('\n'),
  'sensors/watcher.py': `
import time

from st2reactor.sensor.base import Sensor


class Watcher(Sensor):
    def setup(self):
        self.running = True
        self.beats = int(self.sensor_service.get_value('beats') or 0)

    def run(self):
        while self.running:
            self.beats += 1
            self.sensor_service.set_value('beats', str(self.beats))
            self.sensor_service.dispatch('pywatch.beat', {'beats': self.beats})
            time.sleep(0.1)

    def cleanup(self):
        self.running = False
        self.sensor_service.dispatch('pywatch.cleaned', {'beats': self.beats})

    def add_trigger(self, trigger):
        self.sensor_service.dispatch('pywatch.changed', {'change': 'added', 'path': trigger['parameters']['path']})

    def update_trigger(self, trigger):
        pass

    def remove_trigger(self, trigger):
        self.sensor_service.dispatch('pywatch.changed', {'change': 'removed', 'path': trigger['parameters']['path']})
`,
  'sensors/broken.yaml': 'class_name: Broken\nentry_point: broken.py\ntrigger_types: []\n',
  'sensors/broken.py': `
import sys

from st2reactor.sensor.base import Sensor


class Broken(Sensor):
    def setup(self):
        pass

    def run(self):
        sys.stderr.write('connecting to upstream\\n')
        raise RuntimeError('upstream refused the connection')

    def cleanup(self):
        pass

    def add_trigger(self, trigger):
        pass

    def update_trigger(self, trigger):
        pass

    def remove_trigger(self, trigger):
        pass
`,
};

let home: string;
let packDir: string;
let store: Store;
let bus: Bus;
let engine: RulesEngine;
let container: SensorContainer;
const logger = createLogger({ level: 'silent' });

const sensor = (ref: string) => sensorView(container, ref);
const instances = (trigger: string) => triggerInstancesOf(store, trigger);

beforeAll(async () => {
  packDir = await writePack(pack);
  home = path.join(packDir, '..', `${path.basename(packDir)}-home`);
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1' });
  store = await openEmbeddedStore({ dir: dataPaths(home).store });
  bus = createInProcessBus();
  await installSensorPack(packDir, config, store);
  engine = await startRulesEngine({ store, bus, logger, requestExecution: async () => ({ id: newId() }) });
  container = await startTestSensorContainer(home, {
    store,
    bus,
    config,
    logger,
    backoff: { initialMs: 200, maxMs: 3000, stableMs: 10_000, failingAfter: 2 },
    stopGraceMs: 3000,
    refreshMs: 200,
  });
}, 120_000);

afterAll(async () => {
  await container?.stop();
  await engine?.stop();
  await bus?.close();
  await store?.close();
  for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Python sensors', () => {
  it('dispatch, and keep state in the datastore through the control channel', async () => {
    await retryUntil(async () => (await instances('pywatch.beat')).length >= 3, { what: 'three beats', withinMs: 15_000 });
    const beats = (await instances('pywatch.beat')).map((instance) => instance.payload['beats']);
    expect(beats.slice(0, 3)).toEqual([1, 2, 3]);
    const stored = await store.keyValues.find({ name: 'pywatch.Watcher:beats' });
    expect(Number(stored[0]?.value)).toBeGreaterThanOrEqual(3);
  });

  it('hear about the triggers rules create and drop', async () => {
    const rule = parseRuleMeta(
      { name: 'on_path', pack: 'pywatch', enabled: true, trigger: { type: 'pywatch.path', parameters: { path: '/srv' } }, action: { ref: 'core.noop' } },
      { file: 'api', pack: 'pywatch' },
    ).meta;
    await saveRule(store, rule, 'api');
    await container.refresh();
    const changes = async () => (await instances('pywatch.changed')).map((instance) => `${instance.payload['change']} ${instance.payload['path']}`);
    await retryUntil(async () => (await changes()).includes('added /srv'), { what: 'add_trigger' });
    await deleteRule(store, 'pywatch.on_path');
    await container.refresh();
    await retryUntil(async () => (await changes()).includes('removed /srv'), { what: 'remove_trigger' });
  });

  it('run cleanup() when stopped, and pick up where they were from the datastore', async () => {
    await store.sensors.update({ id: 'pywatch.Watcher' }, { set: { enabled: false } });
    await container.refresh();
    expect(await sensor('pywatch.Watcher')).toMatchObject({ status: 'stopped' });
    // What cleanup() dispatched just before the process ended is stored right after the stop.
    await retryUntil(async () => (await instances('pywatch.cleaned')).length >= 1, { what: 'the cleanup dispatch stored' });
    const cleaned = await instances('pywatch.cleaned');
    expect(cleaned).toHaveLength(1);
    const lastBeat = Number(cleaned[0]!.payload['beats']);
    await store.sensors.update({ id: 'pywatch.Watcher' }, { set: { enabled: true } });
    await container.refresh();
    await retryUntil(async () => (await instances('pywatch.beat')).some((instance) => Number(instance.payload['beats']) > lastBeat), {
      what: 'a beat after the restart',
    });
    const beats = (await instances('pywatch.beat')).map((instance) => Number(instance.payload['beats']));
    expect(beats.filter((beat) => beat === lastBeat + 1)).toHaveLength(1);
  });

  it('report an exception from run() with its stderr, and keep restarting', async () => {
    await retryUntil(async () => (await sensor('pywatch.Broken'))?.status === 'failing', { what: 'failing', withinMs: 20_000 });
    const broken = await sensor('pywatch.Broken');
    expect(broken?.lastError).toMatch(/exited with code 1: RuntimeError: upstream refused the connection/);
    expect(broken?.stderrTail).toEqual(expect.arrayContaining(['connecting to upstream']));
    expect(broken?.starts).toBeGreaterThanOrEqual(2);
  });
});
