import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import {
  createInProcessBus,
  createLogger,
  createSandboxDecorator,
  dataPaths,
  detectSandbox,
  loadConfig,
  newId,
  openEmbeddedStore,
  renderValue,
  type Bus,
  type PackrunConfig,
  type SandboxHost,
  type Store,
} from '@packrun/core';
import { startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { installSensorPack, noDatastore, startTestSensorContainer, writePack } from '../sensors/sensor-fixtures.ts';
import { sandboxProcesses, testUidRange } from './sandbox-fixture.ts';

/**
 * Case 22: sensors run under the same sandbox as actions. A sensor that crash-loops (leaving a
 * detached daemon behind each time) keeps being restarted, and nothing it started survives an
 * incarnation; a sensor probing its surroundings finds itself in a job uid, a job cgroup, and
 * unable to read the runtime's secrets or use the network its pack turned off.
 */
let home: string;
let config: PackrunConfig;
let host: SandboxHost;
let store: Store;
let bus: Bus;
let engine: RulesEngine;
let container: SensorContainer;
let server: net.Server;
const logger = createLogger({ level: 'silent' });
const canary = `sensorcanary${process.pid}`;

const sensorPack = (secretFile: string, port: number) => ({
  'pack.yaml': 'ref: hostilesense\nname: hostilesense\ndescription: hostile sensors\nversion: 1.0.0\nauthor: tests\nsandbox:\n  network: false\n',
  'sensors/crasher.yaml': 'class_name: Crasher\nentry_point: crasher.js\ntrigger_types: []\n',
  'sensors/crasher.js': `
const { spawn } = require('node:child_process');
class Crasher {
  async run() {
    spawn('/bin/sh', ['-c', 'exec sleep 300'], { detached: true, stdio: 'ignore' }).unref();
    process.exit(3);
  }
}
module.exports = { Crasher };
`,
  'sensors/prober.yaml': 'class_name: Prober\nentry_point: prober.mjs\ntrigger_types:\n  - name: probe\n    payload_schema: {type: object}\n',
  'sensors/prober.mjs': `
import { readFileSync } from 'node:fs';
import net from 'node:net';
const connect = (port) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve('connected'); });
  socket.on('error', (error) => resolve('refused: ' + error.code));
});
export default class Prober {
  constructor(service) { this.service = service; }
  async run() {
    const attempt = (file) => { try { return readFileSync(file, 'utf8'); } catch (error) { return 'denied: ' + error.code; } };
    this.service.dispatch('hostilesense.probe', {
      uid: process.getuid(),
      cgroup: readFileSync('/proc/self/cgroup', 'utf8'),
      secret: attempt(${JSON.stringify(secretFile)}),
      env: Object.keys(process.env).join(','),
      network: await connect(${port}),
    });
    await new Promise(() => {});
  }
}
`,
});

beforeAll(async () => {
  home = path.join(await writePack({}), 'home');
  mkdirSync(path.join(home, 'secrets'), { recursive: true });
  writeFileSync(path.join(home, 'secrets', 'cli-api-key'), canary);
  config = loadConfig({ PACKRUN_HOME: home, PACKRUN_KILL_GRACE: '1', PACKRUN_API_KEY: canary, ...testUidRange() });
  host = await detectSandbox(config);
  store = await openEmbeddedStore({ dir: dataPaths(home).store });
  bus = createInProcessBus();
  engine = await startRulesEngine({ store, bus, logger, render: (template, context) => renderValue(template, context), requestExecution: async () => ({ id: newId() }) });
  server = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const packDir = await writePack(sensorPack(path.join(home, 'secrets', 'cli-api-key'), (server.address() as net.AddressInfo).port));
  await installSensorPack(packDir, config, store);
  container = await startTestSensorContainer(home, {
    store,
    bus,
    config,
    // These sensors never use the datastore.
    keyValues: noDatastore,
    logger,
    decorator: createSandboxDecorator({ host, config, logger }),
    stopGraceMs: 1000,
    refreshMs: 200,
  });
}, 300_000);

afterAll(async () => {
  server?.close();
  await container?.stop();
  await engine?.stop();
  await bus?.close();
  await store?.close();
  if (home) await rm(path.dirname(home), { recursive: true, force: true });
});

describe.runIf(process.getuid?.() === 0)('sensors in the sandbox (case 22)', () => {
  it('a sensor runs as a job uid in a job cgroup and cannot read the runtime secrets', async () => {
    const prober = async () => (await container.list()).find((sensor) => sensor.ref === 'hostilesense.Prober');
    await retryUntil(async () => (await store.triggerInstances.find({ trigger: 'hostilesense.probe' }, {})).length > 0, { what: 'a probe', withinMs: 20_000 }).catch(async (error: Error) => {
      throw new Error(`${error.message}; prober: ${JSON.stringify(await prober())}`);
    });
    const [instance] = await store.triggerInstances.find({ trigger: 'hostilesense.probe' }, {});
    const payload = instance!.payload as { uid: number; cgroup: string; secret: string; env: string; network: string };
    if (host.uidRange) expect(payload.uid).toBeGreaterThanOrEqual(host.uidRange.first);
    if (host.cgroups && host.bwrap === undefined) expect(payload.cgroup).toMatch(/packrun\/sensor-hostilesense-/);
    expect(payload.secret).not.toContain(canary);
    expect(payload.env).not.toContain('PACKRUN_API_KEY');
    // The pack's `sandbox: {network: false}` reaches sensors too.
    if (host.bwrap) expect(payload.network).toMatch(/^refused/);
  });

  it('a crash-looping sensor keeps being restarted and leaves no daemon behind', async () => {
    const view = async () => (await container.list()).find((sensor) => sensor.ref === 'hostilesense.Crasher');
    await retryUntil(async () => ((await view())?.starts ?? 0) >= 4, { what: 'four starts', withinMs: 30_000 });
    expect((await view())?.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect((await view())?.lastError).toBe('exited with code 3');
    // Each incarnation leaves a detached `sleep 300`. Were any to survive they would pile up; a
    // moment with none at all shows every one died with its incarnation.
    const sleepers = () => sandboxProcesses(config).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep');
      } catch {
        return false;
      }
    });
    await retryUntil(() => sleepers().length === 0, { what: 'no leftover daemon', withinMs: 10_000 });
    expect((await view())?.starts).toBeGreaterThanOrEqual(4);
  });
});
