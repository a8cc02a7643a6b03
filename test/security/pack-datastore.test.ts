import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  createInProcessBus,
  createLogger,
  dataPaths,
  loadConfig,
  newId,
  openEmbeddedStore,
  openKeyValues,
  type Bus,
  type KeyValues,
  type PackrunConfig,
  type Store,
} from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { installSensorPack, realPython, startTestSensorContainer, triggerInstancesOf, writePack } from '../sensors/sensor-fixtures.ts';

/**
 * `action_service` and `sensor_service` computed the `<pack>.<Class>:` prefix in the child, and
 * the runtime served whatever name came back: with `local=False` and the full name, or a list
 * prefix, pack code read, listed, overwrote and deleted another pack's local keys, and wrote any
 * system key. The runtime now checks every name against the pack the child belongs to.
 */
const probe = `
def probe(service):
    out = {}
    out['get'] = service.get_value('victim.Keeper:secret', local=False, decrypt=True)
    out['get_upper'] = service.get_value('VICTIM.Keeper:secret', local=False, decrypt=True)
    out['get_dots'] = service.get_value('../victim.Keeper:secret', decrypt=True)
    out['list_prefix'] = sorted(item.name for item in service.list_values(local=False, prefix='victim.'))
    out['list_all'] = sorted(item.name for item in service.list_values(local=False))
    try:
        service.set_value('victim.Keeper:secret', 'pwned', local=False)
        out['set'] = 'done'
    except Exception as e:
        out['set'] = type(e).__name__
    out['delete'] = service.delete_value('victim.Keeper:counter', local=False)
    try:
        service.set_value('shared_setting', 'changed', local=False)
        out['system_set'] = 'done'
    except Exception as e:
        out['system_set'] = type(e).__name__
    out['system_get'] = service.get_value('shared_setting', local=False)
    service.set_value('mine', 'kept')
    out['own'] = service.get_value('mine')
    return out
`;

const thiefPack: Record<string, string> = {
  'pack.yaml': 'ref: thief\nname: thief\ndescription: reaches for other packs\nversion: 1.0.0\nauthor: tests\n',
  'actions/lib/probe.py': probe,
  'actions/steal.yaml': 'name: steal\nrunner_type: python-script\nentry_point: steal.py\n',
  'actions/steal.py': [
    'from st2common.runners.base_action import Action',
    'from probe import probe',
    'class Steal(Action):',
    '    def run(self):',
    '        return probe(self.action_service)',
  ].join('\n'),
  'sensors/snoop.yaml': ['class_name: Snoop', 'entry_point: snoop.py', 'poll_interval: 0.2', 'trigger_types:', '  - name: report'].join('\n'),
  'sensors/snoop.py': [
    'from st2reactor.sensor.base import PollingSensor',
    probe,
    'class Snoop(PollingSensor):',
    '    def setup(self):',
    '        self.done = False',
    '    def poll(self):',
    '        if not self.done:',
    '            self.done = True',
    "            self.sensor_service.dispatch('thief.report', probe(self.sensor_service))",
    '    def cleanup(self):',
    '        pass',
    '    def add_trigger(self, trigger):',
    '        pass',
    '    def update_trigger(self, trigger):',
    '        pass',
    '    def remove_trigger(self, trigger):',
    '        pass',
  ].join('\n'),
};

let home: string;
let packDir: string;
let config: PackrunConfig;
let store: Store;
let bus: Bus;
let keyValues: KeyValues;
let engine: RulesEngine;
let container: SensorContainer | undefined;
const logger = createLogger({ level: 'silent' });
const secret = `victim-secret-${Math.random().toString(36).slice(2)}`;

async function plantVictimKeys(): Promise<void> {
  await keyValues.set('victim.Keeper:secret', secret, { encrypt: true });
  await keyValues.set('victim.Keeper:counter', '1');
  await keyValues.set('shared_setting', 'operator');
}

async function expectVictimKeysIntact(): Promise<void> {
  expect((await keyValues.get('victim.Keeper:secret', { decrypt: true }))?.value).toBe(secret);
  expect((await keyValues.get('victim.Keeper:counter'))?.value).toBe('1');
}

/** What a pack without the operator's grant gets: nothing of the victim's, and no system writes. */
const refused = {
  get: null,
  get_upper: null,
  get_dots: null,
  list_prefix: [],
  set: 'DatastoreError',
  delete: false,
  system_set: 'DatastoreError',
  system_get: 'operator',
  own: 'kept',
};

beforeAll(async () => {
  packDir = await writePack(thiefPack);
  home = path.join(packDir, '..', `${path.basename(packDir)}-home`);
  config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1' });
  store = await openEmbeddedStore({ dir: dataPaths(home).store });
  bus = createInProcessBus();
  keyValues = openKeyValues(store, config);
  await installSensorPack(packDir, config, store);
  engine = await startRulesEngine({ store, bus, logger, requestExecution: async () => ({ id: newId() }) });
}, 120_000);

afterAll(async () => {
  await container?.stop();
  await engine?.stop();
  await bus?.close();
  await store?.close();
  for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("another pack's datastore keys", () => {
  it('are out of reach of an action: no read, list, write or delete, and no system write without the grant', async () => {
    await plantVictimKeys();
    const outcome = await runAction({ paths: dataPaths(home), config, ref: 'thief.steal', input: {}, datastore: keyValues });
    expect(outcome.status).toBe('succeeded');
    const result = outcome.result['result'] as Record<string, unknown>;
    expect(result).toMatchObject(refused);
    expect(result['list_all']).toEqual(['shared_setting']);
    expect(JSON.stringify(outcome)).not.toContain(secret);
    await expectVictimKeysIntact();
    expect((await keyValues.get('shared_setting'))?.value).toBe('operator');
  });

  it("stay out of reach of a pack the operator lets write system keys, which may write those", async () => {
    await plantVictimKeys();
    const granted = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', PACKRUN_DATASTORE_SYSTEM_WRITERS: 'thief' });
    const outcome = await runAction({ paths: dataPaths(home), config: granted, ref: 'thief.steal', input: {}, datastore: keyValues });
    expect(outcome.result['result']).toMatchObject({ ...refused, system_set: 'done', system_get: 'changed' });
    await expectVictimKeysIntact();
  });

  it('are out of reach of a sensor', async () => {
    await plantVictimKeys();
    container = await startTestSensorContainer(home, { store, bus, config, logger, keyValues, refreshMs: 200 });
    await retryUntil(async () => (await triggerInstancesOf(store, 'thief.report')).length > 0, { what: "the sensor's report", withinMs: 30_000 });
    const [report] = await triggerInstancesOf(store, 'thief.report');
    expect(report!.payload).toMatchObject(refused);
    expect((report!.payload['list_all'] as string[]).filter((name) => name.startsWith('victim'))).toEqual([]);
    expect(JSON.stringify(report!.payload)).not.toContain(secret);
    await expectVictimKeysIntact();
  });
});
