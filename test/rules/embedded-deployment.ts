import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createInProcessBus,
  createLogger,
  dataPaths,
  loadConfig,
  openEmbeddedStore,
  openKeyValues,
  type Bus,
  type ExecutionRecord,
  type PackrunConfig,
  type Store,
} from '@packrun/core';
import { createApiKey, startApiService, type ApiService } from '@packrun/api';
import { startActionRunnerService, type ActionRunnerService } from '@packrun/action-runner';
import { installPack } from '@packrun/pack-installer';
import { executionRequester, sitePackConfig, startRulesEngine, type RulesEngine } from '@packrun/rules-engine';
import { startSensorContainer, type SensorContainer } from '@packrun/sensor-container';
import { startWorkflowEngine, type WorkflowEngine } from '@packrun/workflow-engine';
import { expect } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { realPython } from '../sensors/sensor-fixtures.ts';

/** What `app.inject` answers. */
export type InjectedResponse = Awaited<ReturnType<ApiService['app']['inject']>>;

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The whole embedded deployment in the test process, as `packrun up` wires it: the API, an action
 * runner, the rules engine and the sensor container over the embedded store and the in-process
 * bus, in a fresh PACKRUN_HOME with Packrun's core pack and the given packs installed by the real
 * installer. Sensors are real Python and Node processes and actions really run.
 */
export interface EmbeddedDeployment {
  home: string;
  config: PackrunConfig;
  store: Store;
  bus: Bus;
  api: ApiService;
  runner: ActionRunnerService;
  rules: RulesEngine;
  sensors: SensorContainer;
  workflows: WorkflowEngine;
  apiKey: string;
  /** An API request with the test's key. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<InjectedResponse>;
  /** The first finished execution of a rule, once there is one. */
  executionOf(rule: string, withinMs?: number): Promise<ExecutionRecord>;
  /** The execution was requested by the rule for its trigger instance, with a succeeded enforcement. */
  expectEnforced(rule: string, execution: ExecutionRecord): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedDeploymentOptions {
  /** Names the temporary home. */
  name: string;
  packDirs: string[];
}

export async function startEmbeddedDeployment(options: EmbeddedDeploymentOptions): Promise<EmbeddedDeployment> {
  const logger = createLogger({ level: process.env['PACKRUN_TEST_LOG_LEVEL'] ?? 'silent' });
  const home = await mkdtemp(path.join(os.tmpdir(), `packrun-${options.name}-`));
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', PACKRUN_RUNNER_HEARTBEAT: '1' });
  await installPack([path.join(repoRoot, 'packs/core'), ...options.packDirs], { config });

  const paths = dataPaths(home);
  const store = await openEmbeddedStore({ dir: paths.store, logger });
  const bus = createInProcessBus({ logger });
  // As packrun up: datastore changes fire the key_value_pair triggers.
  const keyValues = openKeyValues(store, config, { bus, logger });
  const sensors = await startSensorContainer({
    store,
    bus,
    paths,
    config,
    keyValues,
    logger,
    backoff: { initialMs: 200, maxMs: 2000, stableMs: 10_000, failingAfter: 3 },
    stopGraceMs: 2000,
    refreshMs: 200,
  });
  const api = await startApiService({ config, store, bus, keyValues, logger, listen: false, sensorContainer: sensors });
  const rules = await startRulesEngine({ store, bus, keyValues, logger, requestExecution: executionRequester(api.executions, store), packConfig: sitePackConfig(paths, keyValues) });
  const runner = await startActionRunnerService({ config, paths, bus, ledger: api.ledger, datastore: keyValues, logger, heartbeatMs: 1000 });
  const workflows = await startWorkflowEngine({ store, bus, logger, paths, keyValues, executions: api.executions, openSecrets: api.openSecrets, resultInlineBytes: config.resultInlineBytes });
  const apiKey = (await createApiKey(store, { user: 'tester', role: 'admin' })).key;

  return {
    home,
    config,
    store,
    bus,
    api,
    runner,
    rules,
    sensors,
    workflows,
    apiKey,
    call(method, url, body, headers = {}) {
      return api.app.inject({
        method: method as 'GET',
        url,
        headers: { 'x-api-key': apiKey, ...headers },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
    },
    async executionOf(rule, withinMs = 20_000) {
      let found: ExecutionRecord | undefined;
      await retryUntil(async () => {
        found = (await store.executions.find({ rule, status: { $in: ['succeeded', 'failed', 'timeout'] } }, { sort: { createdAt: 1 } }))[0];
        return found !== undefined;
      }, { what: `an execution of ${rule}`, withinMs });
      return found!;
    },
    async expectEnforced(rule, execution) {
      const enforcement = await store.ruleEnforcements.findOne({ rule, execution: execution.id });
      expect(enforcement).toMatchObject({ status: 'succeeded', triggerInstance: execution.triggerInstance });
      expect(execution.context).toMatchObject({ rule: { ref: rule }, trigger_instance: { id: execution.triggerInstance } });
    },
    async stop() {
      await sensors.stop();
      await rules.stop();
      await workflows.stop();
      await runner.stop(2000);
      await api.close();
      await bus.close();
      await store.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
