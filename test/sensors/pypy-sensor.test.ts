import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInProcessBus, createLogger, dataPaths, loadConfig, newId, openEmbeddedStore, type Bus, type Store } from '@packrun/core';
import { startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { installSensorPack, realPython, startTestSensorContainer, triggerInstancesOf, writePack } from './sensor-fixtures.ts';

/**
 * A sensor of a pack whose python_versions only PyPy 3.9 fits runs in its env's interpreter, with
 * Packrun's stand-ins (st2reactor) and the st2 fallback built for PyPy (requests), and reaches the
 * datastore and dispatches over the control channel. Debian's pypy3 is the other Python version
 * this machine can have (scripts/setup.sh installs it as root).
 */
const pypyPresent = existsSync('/usr/bin/pypy3');
if (!pypyPresent) console.warn('skipping the PyPy sensor test: /usr/bin/pypy3 is missing (scripts/setup.sh installs it as root)');

const pack: Record<string, string> = {
  'pack.yaml': 'ref: pypysense\nname: pypysense\ndescription: a sensor on PyPy\nversion: 1.0.0\nauthor: tests\npython_versions:\n  - "3.9"\n',
  'sensors/who.yaml': 'class_name: Who\nentry_point: who.py\ntrigger_types:\n  - name: who\n',
  'sensors/who.py': `
import sys
import time

import requests
from st2reactor.sensor.base import Sensor


class Who(Sensor):
    def setup(self):
        self.sensor_service.set_value('seen', sys.implementation.name)

    def run(self):
        self.sensor_service.dispatch('pypysense.who', {
            'implementation': sys.implementation.name,
            'version': '%d.%d' % sys.version_info[:2],
            'stored': self.sensor_service.get_value('seen'),
            'requests': requests.__version__,
        })
        while True:
            time.sleep(1)

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
let container: SensorContainer | undefined;
let engine: RulesEngine | undefined;

beforeAll(async () => {
  if (!pypyPresent) return;
  packDir = await writePack(pack);
  home = path.join(packDir, '..', `${path.basename(packDir)}-home`);
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', PACKRUN_PYTHON_SEARCH: '/usr/bin' });
  store = await openEmbeddedStore({ dir: dataPaths(home).store });
  bus = createInProcessBus();
  await installSensorPack(packDir, config, store);
  const logger = createLogger({ level: 'silent' });
  // The rules engine records the trigger instances the sensor dispatches.
  engine = await startRulesEngine({ store, bus, logger, requestExecution: async () => ({ id: newId() }) });
  container = await startTestSensorContainer(home, { store, bus, config, logger });
}, 300_000);

afterAll(async () => {
  await container?.stop();
  await engine?.stop();
  await bus?.close();
  await store?.close();
  for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!pypyPresent)('a sensor on PyPy', () => {
  it('runs in the pack env interpreter with the stand-ins and the fallback built for it', async () => {
    await retryUntil(async () => (await triggerInstancesOf(store, 'pypysense.who')).length >= 1, { what: 'the sensor dispatching', withinMs: 30_000 });
    const [instance] = await triggerInstancesOf(store, 'pypysense.who');
    expect(instance?.payload).toEqual({ implementation: 'pypy', version: '3.9', stored: 'pypy', requests: '2.32.5' });
  });
});
