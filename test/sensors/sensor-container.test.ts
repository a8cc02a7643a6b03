import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createSandboxDecorator,
  detectSandbox,
  createInProcessBus,
  createLogger,
  dataPaths,
  loadConfig,
  newId,
  openEmbeddedStore,
  parseRuleMeta,
  readInstalledPack,
  renderValue,
  type Bus,
  type PackrunConfig,
  type Store,
} from '@packrun/core';
import { deleteRule, saveRule, startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import type { SensorContainer } from '@packrun/sensor-container';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import {
  installSensorPack,
  noDatastore,
  nodeSensorPack,
  realPython,
  sensorView,
  startTestSensorContainer,
  triggerInstancesOf,
  writePack,
} from './sensor-fixtures.ts';

/**
 * The sensor container with real Node sensor processes, a pack installed by the real installer,
 * the embedded store and the in-process bus; the rules engine records what the sensors dispatch.
 */
let home: string;
let config: PackrunConfig;
let store: Store;
let bus: Bus;
let engine: RulesEngine;
let container: SensorContainer;
let packDir: string;
const logger = createLogger({ level: 'silent' });

const sensor = (ref: string) => sensorView(container, ref);
const instances = (trigger: string) => triggerInstancesOf(store, trigger);

beforeAll(async () => {
  home = path.join(await writePack({}), 'home');
  config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1' });
  store = await openEmbeddedStore({ dir: dataPaths(home).store });
  bus = createInProcessBus();
  engine = await startRulesEngine({
    store,
    bus,
    logger,
    render: (template, context) => renderValue(template, context),
    requestExecution: async () => ({ id: newId() }),
  });
  packDir = await writePack(nodeSensorPack('1.0.0'));
  await installSensorPack(packDir, config, store);
  container = await startTestSensorContainer(home, {
    store,
    bus,
    config,
    // Datastore calls are not exercised here; a store-backed KeyValues comes with the API.
    keyValues: noDatastore,
    logger,
    backoff: { initialMs: 300, maxMs: 5000, stableMs: 10_000, failingAfter: 3 },
    refreshMs: 200,
    decorator: createSandboxDecorator({ host: await detectSandbox(config), config }),
  });
});

afterAll(async () => {
  await container?.stop();
  await engine?.stop();
  await bus?.close();
  await store?.close();
  if (home) await rm(path.dirname(home), { recursive: true, force: true });
  if (packDir) await rm(packDir, { recursive: true, force: true });
});

describe('sensor container', () => {
  it('runs a Node sensor whose dispatches reach the rules engine; an invalid payload is dropped', async () => {
    await retryUntil(async () => (await instances('nodesense.tick')).length >= 3, { what: 'three ticks', withinMs: 15_000 });
    const ticks = await instances('nodesense.tick');
    expect(ticks[0]).toMatchObject({ payload: { version: '1.0.0' }, source: 'nodesense.Emitter' });
    expect(ticks.every((tick) => typeof tick.payload['n'] === 'number')).toBe(true);
    expect(await sensor('nodesense.Emitter')).toMatchObject({ status: 'running', enabled: true, pack: 'nodesense' });
  });

  it('tells a sensor about the triggers rules create and drop (add_trigger / remove_trigger)', async () => {
    const rule = parseRuleMeta(
      { name: 'watch_tmp', pack: 'nodesense', enabled: true, trigger: { type: 'nodesense.watched', parameters: { path: '/tmp/x' } }, action: { ref: 'core.noop' } },
      { file: 'api', pack: 'nodesense' },
    ).meta;
    await saveRule(store, rule, 'api');
    await container.refresh();
    const changed = async (change: string) =>
      (await instances('nodesense.changed')).filter((instance) => instance.payload['change'] === change && instance.payload['path'] === '/tmp/x');
    await retryUntil(async () => (await changed('added')).length === 1, { what: 'add_trigger' });
    await deleteRule(store, 'nodesense.watch_tmp');
    await container.refresh();
    await retryUntil(async () => (await changed('removed')).length === 1, { what: 'remove_trigger' });
  });

  it('restarts a sensor killed with SIGKILL within its backoff', async () => {
    const before = await sensor('nodesense.Emitter');
    expect(before?.pid).toBeGreaterThan(0);
    process.kill(before!.pid!, 'SIGKILL');
    await retryUntil(async () => {
      const now = await sensor('nodesense.Emitter');
      return now?.status === 'running' && now.pid !== before!.pid;
    }, { what: 'a new process', withinMs: 5000 });
    const after = await sensor('nodesense.Emitter');
    expect(after).toMatchObject({ lastError: 'killed by SIGKILL', lastExit: { signal: 'SIGKILL' } });
    expect(after!.starts).toBe(before!.starts + 1);
  });

  it('shows a crash-looping sensor as failing with its last stderr lines, and keeps retrying with growing delays', async () => {
    await retryUntil(async () => (await sensor('nodesense.Crasher'))?.status === 'failing', { what: 'failing', withinMs: 15_000 });
    const failing = await sensor('nodesense.Crasher');
    expect(failing).toMatchObject({ lastError: 'exited with code 3', lastExit: { exitCode: 3 } });
    expect(failing!.stderrTail).toEqual(expect.arrayContaining(['boom: the upstream is gone']));
    const delays: number[] = [];
    const seenWithoutFailedLines: string[] = [];
    await retryUntil(async () => {
      const view = await sensor('nodesense.Crasher');
      // Whatever moment it is looked at (a new run starting included), the failed run's lines stay.
      if (!view?.lastErrorStderr?.includes('boom: the upstream is gone')) seenWithoutFailedLines.push(view?.status ?? 'none');
      if (view?.backoffMs !== undefined && delays.at(-1) !== view.backoffMs) delays.push(view.backoffMs);
      return delays.length >= 2;
    }, { what: 'two more restarts', withinMs: 15_000 });
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(seenWithoutFailedLines).toEqual([]);
    expect((await sensor('nodesense.Crasher'))!.starts).toBeGreaterThan(failing!.starts);
  });

  it('stops a disabled sensor (cleanup runs) and starts it again when enabled', async () => {
    await store.sensors.update({ id: 'nodesense.Emitter' }, { set: { enabled: false } });
    await container.refresh();
    expect(await sensor('nodesense.Emitter')).toMatchObject({ status: 'stopped', enabled: false });
    expect((await sensor('nodesense.Emitter'))?.pid).toBeUndefined();
    await retryUntil(async () => (await instances('nodesense.cleaned')).length >= 1, { what: 'cleanup dispatch' });
    await store.sensors.update({ id: 'nodesense.Emitter' }, { set: { enabled: true } });
    await container.refresh();
    await retryUntil(async () => (await sensor('nodesense.Emitter'))?.status === 'running', { what: 'running again' });
  });

  it('restarts a sensor on the new version when its pack is reinstalled', async () => {
    await writePack(nodeSensorPack('1.1.0'), packDir);
    await installSensorPack(packDir, config, store);
    await container.refresh();
    await retryUntil(async () => (await instances('nodesense.tick')).some((tick) => tick.payload['version'] === '1.1.0'), {
      what: 'a tick from 1.1.0',
      withinMs: 15_000,
    });
  });

  it('restarts a running sensor on request', async () => {
    const before = await sensor('nodesense.Emitter');
    await container.restart('nodesense.Emitter');
    const after = await sensor('nodesense.Emitter');
    expect(after?.status).toBe('running');
    expect(after?.pid).not.toBe(before?.pid);
  });

  it('holds a lease on its pack version while a sensor process runs and releases it when the process ends', async () => {
    const installed = await readInstalledPack(dataPaths(home), 'nodesense');
    const leases = async () => (await readdir(path.join(path.dirname(installed.dir), '.leases')).catch(() => [])).filter((name) => name.startsWith(`${os.hostname()}-${process.pid}-`));
    for (const ref of ['nodesense.Emitter', 'nodesense.Crasher']) await store.sensors.update({ id: ref }, { set: { enabled: false } });
    await container.refresh();
    await retryUntil(async () => (await leases()).length === 0, { what: 'no lease once both sensors are stopped' });
    await store.sensors.update({ id: 'nodesense.Emitter' }, { set: { enabled: true } });
    await container.refresh();
    await retryUntil(async () => (await sensor('nodesense.Emitter'))?.status === 'running', { what: 'running again' });
    expect(await leases()).toHaveLength(1);
    await store.sensors.update({ id: 'nodesense.Emitter' }, { set: { enabled: false } });
    await container.refresh();
    await retryUntil(async () => (await leases()).length === 0, { what: 'the lease released when the process ended' });
  });
});

