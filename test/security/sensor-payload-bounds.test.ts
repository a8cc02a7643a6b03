import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createInProcessBus, createLogger, dataPaths, loadConfig, newId, openEmbeddedStore, type Store } from '@packrun/core';
import { startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { retryUntil } from '../helpers/retry-until.ts';
import { installSensorPack, realPython, startTestSensorContainer, triggerInstancesOf, writePack } from '../sensors/sensor-fixtures.ts';

// A sensor's payloads are untrusted input like a webhook's. Before the bounds, a payload nested 60
// levels deep went through dispatch() into a stored trigger instance (the store refuses only past
// 100 levels), and a dispatch frame written past the wrapper was parsed whatever its depth.
const logger = createLogger({ level: 'silent' });

const deepList = 'v = []\n        for _ in range(60): v = [v]';

const pack: Record<string, string> = {
  'pack.yaml': 'ref: deeppay\nname: deeppay\ndescription: sensors with hostile payloads\nversion: 1.0.0\nauthor: tests\n',
  'sensors/deep.yaml': ['class_name: Deep', 'entry_point: deep.py', 'poll_interval: 0.3', 'trigger_types:', '  - name: tick'].join('\n'),
  'sensors/deep.py': [
    'from st2reactor.sensor.base import PollingSensor',
    'class Deep(PollingSensor):',
    '    def setup(self): self.n = 0',
    '    def poll(self):',
    '        self.n += 1',
    `        ${deepList}`,
    '        try:',
    "            self.sensor_service.dispatch('deeppay.tick', {'nested': v})",
    '        except Exception as e:',
    "            self.sensor_service.dispatch('deeppay.tick', {'refused': type(e).__name__ + ': ' + str(e)})",
    "        self.sensor_service.dispatch('deeppay.tick', {'honest': self.n})",
    '    def cleanup(self): pass',
    '    def add_trigger(self, trigger): pass',
    '    def update_trigger(self, trigger): pass',
    '    def remove_trigger(self, trigger): pass',
  ].join('\n'),
  'sensors/raw.yaml': ['class_name: Raw', 'entry_point: raw.py', 'poll_interval: 0.3', 'trigger_types:', '  - name: raw'].join('\n'),
  'sensors/raw.py': [
    'import os, socket, stat, struct',
    'from st2reactor.sensor.base import PollingSensor',
    'def control_socket():',
    "    for name in os.listdir('/proc/self/fd'):",
    '        fd = int(name)',
    '        try:',
    '            if fd > 2 and stat.S_ISSOCK(os.fstat(fd).st_mode):',
    '                with socket.socket(fileno=os.dup(fd)) as probe:',
    '                    if probe.family == socket.AF_UNIX: return fd',
    '        except OSError: continue',
    'class Raw(PollingSensor):',
    '    def setup(self): pass',
    '    def poll(self):',
    `        body = b'{"type":"dispatch","trigger":"deeppay.raw","payload":{"a":' + b'[' * 100000 + b']' * 100000 + b'}}'`,
    '        fd = control_socket()',
    "        os.write(fd, struct.pack('>I', len(body)) + body)",
    '    def cleanup(self): pass',
    '    def add_trigger(self, trigger): pass',
    '    def update_trigger(self, trigger): pass',
    '    def remove_trigger(self, trigger): pass',
  ].join('\n'),
};

let store: Store | undefined;
let engine: RulesEngine | undefined;
let container: SensorContainer | undefined;
const dirs: string[] = [];

afterAll(async () => {
  await container?.stop();
  await engine?.stop();
  await store?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('a sensor dispatching payloads over the input limits', () => {
  it('is told why in its own code, its raw frame is refused before parsing, and its honest dispatches go on', async () => {
    const dir = await writePack(pack);
    const home = `${dir}-home`;
    dirs.push(dir, home);
    const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython() });
    store = await openEmbeddedStore({ dir: dataPaths(home).store });
    await installSensorPack(dir, config, store);
    const bus = createInProcessBus({ logger });
    engine = await startRulesEngine({ store, bus, logger, requestExecution: async () => ({ id: newId() }) });
    container = await startTestSensorContainer(home, { store, bus, config, logger, refreshMs: 200 });

    const payloads = async () => (await triggerInstancesOf(store!, 'deeppay.tick')).map((instance) => instance.payload);
    await retryUntil(async () => (await payloads()).filter((payload) => 'honest' in payload).length >= 3, { what: 'honest dispatches', withinMs: 60_000 });
    const seen = await payloads();
    expect(seen.filter((payload) => 'nested' in payload)).toEqual([]);
    const refused = seen.find((payload) => 'refused' in payload);
    expect(String(refused?.['refused'])).toBe('ValueRefused: the payload is nested more than 32 levels deep (PACKRUN_JSON_MAX_DEPTH)');
    expect(await triggerInstancesOf(store, 'deeppay.raw')).toEqual([]);
  });
});
