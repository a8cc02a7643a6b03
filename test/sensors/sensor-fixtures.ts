import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dataPaths, openKeyValues, type KeyValues, type PackrunConfig, type Store } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { registerPackRules } from '@packrun/rules-engine';
import {
  registerPackSensors,
  startSensorContainer,
  type SensorContainer,
  type SensorContainerOptions,
  type SensorView,
} from '@packrun/sensor-container';

/** The real interpreter behind the pyenv shim, as pack venvs need it. */
export function realPython(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

/** Writes a pack folder from `{relative path: content}` and returns it. */
export async function writePack(files: Record<string, string>, parent?: string): Promise<string> {
  const dir = parent ?? (await mkdtemp(path.join(os.tmpdir(), 'packrun-sensor-pack-')));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/**
 * A Node sensor pack: `Emitter` dispatches `nodesense.tick` every 100 ms ({n, version}), after one
 * invalid payload; it reports add/remove_trigger calls as `nodesense.changed` and its cleanup as
 * `nodesense.cleaned`. `Crasher` writes to stderr and exits 3 at once, every time.
 */
export function nodeSensorPack(version: string): Record<string, string> {
  return {
    'pack.yaml': `ref: nodesense\nname: nodesense\ndescription: Node sensors for tests\nversion: ${version}\nauthor: tests\n`,
    'sensors/emitter.yaml': [
      'class_name: Emitter',
      'entry_point: emitter.mjs',
      'trigger_types:',
      '  - name: tick',
      '    payload_schema: {type: object, properties: {n: {type: integer}, version: {type: string}}, required: [n]}',
      '  - name: changed',
      '    payload_schema: {type: object}',
      '  - name: cleaned',
      '  - name: watched',
      '    parameters_schema: {type: object, properties: {path: {type: string}}, required: [path]}',
    ].join('\n'),
    'sensors/emitter.mjs': `
export default class Emitter {
  constructor(sensorService, config) {
    this.service = sensorService;
    this.n = 0;
  }
  async setup() {
    this.service.dispatch('nodesense.tick', { n: 'not a number' });
  }
  async run() {
    for (;;) {
      this.service.dispatch('tick', { n: this.n++, version: '${version}' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  addTrigger(trigger) {
    this.service.dispatch('nodesense.changed', { change: 'added', ref: trigger.ref, path: trigger.parameters.path });
  }
  removeTrigger(trigger) {
    this.service.dispatch('nodesense.changed', { change: 'removed', ref: trigger.ref, path: trigger.parameters.path });
  }
  async cleanup() {
    this.service.dispatch('nodesense.cleaned', { n: this.n });
  }
}
`,
    'sensors/crasher.yaml': 'class_name: Crasher\nentry_point: crasher.js\ntrigger_types: []\n',
    'sensors/crasher.js': `
class Crasher {
  async run() {
    process.stderr.write('about to fail\\n');
    process.stderr.write('boom: the upstream is gone\\n');
    process.exit(3);
  }
}
module.exports = { Crasher };
`,
  };
}

/** nodeSensorPack without `Crasher`: only the `Emitter` runs. */
export function emitterOnlyPack(version: string): Record<string, string> {
  const files = nodeSensorPack(version);
  delete files['sensors/crasher.yaml'];
  delete files['sensors/crasher.js'];
  return files;
}

/** Installs a pack with the real installer and registers its sensors and rules, as the API does. */
export async function installSensorPack(dir: string, config: PackrunConfig, store: Store): Promise<void> {
  await installPack(dir, {
    config,
    onActivated: async (installed, loaded) => {
      await registerPackSensors(store, installed, loaded);
      await registerPackRules(store, loaded);
    },
  });
}

/**
 * The sensor container over `home`'s data folder with test timings (the first restart after
 * 200 ms, at most 2 s apart, failing after 3; a refresh every 500 ms; a 2 s stop grace) and the
 * store's datastore; anything given in `options` overrides them.
 */
export function startTestSensorContainer(
  home: string,
  options: Pick<SensorContainerOptions, 'store' | 'bus' | 'config' | 'logger'> & Partial<SensorContainerOptions>,
): Promise<SensorContainer> {
  return startSensorContainer({
    paths: dataPaths(home),
    backoff: { initialMs: 200, maxMs: 2000, stableMs: 10_000, failingAfter: 3 },
    stopGraceMs: 2000,
    refreshMs: 500,
    ...options,
    keyValues: options.keyValues ?? openKeyValues(options.store, options.config),
  });
}

/** For tests whose sensors never use the datastore: reads find nothing, a write fails loudly. */
export const noDatastore: KeyValues = {
  get: async () => undefined,
  set: async () => {
    throw new Error('no datastore in this test');
  },
  delete: async () => false,
  list: async () => [],
};

/** The container's view of one sensor, by ref. */
export async function sensorView(container: SensorContainer, ref: string): Promise<SensorView | undefined> {
  return (await container.list()).find((view) => view.ref === ref);
}

/** The trigger instances of one trigger, oldest first. */
export async function triggerInstancesOf(store: Store, trigger: string) {
  return store.triggerInstances.find({ trigger }, { sort: { occurredAt: 1, id: 1 } });
}

/** A Python pack whose PollingSensor dispatches `pysense.poll` ({count, who}) on each poll. */
export function pythonSensorPack(): Record<string, string> {
  return {
    'pack.yaml': 'ref: pysense\nname: pysense\ndescription: Python sensor for tests\nversion: 1.0.0\nauthor: tests\n',
    'config.schema.yaml': 'who:\n  type: string\n  default: world\n',
    'sensors/poller.yaml': [
      'class_name: Poller',
      'entry_point: poller.py',
      'poll_interval: 0.2',
      'trigger_types:',
      '  - name: poll',
      '    payload_schema: {type: object, properties: {count: {type: integer}, who: {type: string}}, required: [count]}',
    ].join('\n'),
    'sensors/poller.py': `
from st2reactor.sensor.base import PollingSensor


class Poller(PollingSensor):
    def setup(self):
        self.count = 0

    def poll(self):
        self.count += 1
        self.sensor_service.dispatch(trigger='pysense.poll', payload={'count': self.count, 'who': self.config.get('who')})

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
}
