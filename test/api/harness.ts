import path from 'node:path';
import { createInProcessBus, createLogger, loadConfig, openEmbeddedStore, openKeyValues, type Bus, type KeyValues, type Store } from '@packrun/core';
import { createApiKey, startApiService, type ApiService } from '@packrun/api';
import { startActionRunnerService, type ActionRunnerService, type ExecutionLedger } from '@packrun/action-runner';
import { startWorkflowEngine, type WorkflowEngine } from '@packrun/workflow-engine';
import { homeWithPacks, repoRoot, type PackrunHome } from '../runner/fixtures.ts';

export interface ServiceStack {
  home: PackrunHome;
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  api: ApiService;
  runner: ActionRunnerService;
  /** The workflow engine, when the stack was started with `workflows: true`. */
  workflows: WorkflowEngine | undefined;
  apiKey: string;
  /** fastify inject with the API key set. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Awaited<ReturnType<ApiService['app']['inject']>>>;
  close(): Promise<void>;
}

export const apiTestPack = path.join(repoRoot, 'test/api/fixtures/apitest');

/**
 * The embedded deployment in the test process: embedded store, in-process bus, the API (not
 * listening unless asked) and one action runner, over a fresh PACKRUN_HOME with real packs.
 */
export async function startStack(options: {
  packs: string[];
  env?: Record<string, string>;
  listen?: boolean;
  /** Runs before the store is opened (a test mounting a small filesystem on the store folder). */
  beforeStore?: (home: PackrunHome) => Promise<void> | void;
  /** Runs the workflow engine too. */
  workflows?: boolean;
  /** The ledger the runner is given, made from the API's (a test injecting a fault). */
  runnerLedger?: (ledger: ExecutionLedger) => ExecutionLedger;
}): Promise<ServiceStack> {
  const home = await homeWithPacks(options.packs, { PACKRUN_RUNNER_HEARTBEAT: '1', PACKRUN_API_PORT: '0', ...options.env });
  await options.beforeStore?.(home);
  const config = loadConfig(home.env);
  const logger = createLogger({ level: process.env['PACKRUN_TEST_LOG_LEVEL'] ?? 'silent' });
  const store = await openEmbeddedStore({ dir: home.paths.store, logger });
  const bus = createInProcessBus({ logger });
  const keyValues = openKeyValues(store, config);
  const api = await startApiService({ config, store, bus, keyValues, logger, listen: options.listen === true });
  const runner = await startActionRunnerService({
    config,
    paths: home.paths,
    bus,
    ledger: options.runnerLedger ? options.runnerLedger(api.ledger) : api.ledger,
    datastore: keyValues,
    logger,
    heartbeatMs: 1000,
  });
  const workflows = options.workflows
    ? await startWorkflowEngine({ store, bus, logger, paths: home.paths, keyValues, executions: api.executions, openSecrets: api.openSecrets, resultInlineBytes: config.resultInlineBytes, sweepMs: 2000 })
    : undefined;
  const { key } = await createApiKey(store, { user: 'tester', role: 'admin' });
  return {
    home,
    store,
    bus,
    keyValues,
    api,
    runner,
    workflows,
    apiKey: key,
    call(method, url, body, headers) {
      return api.app.inject({
        method: method as 'GET',
        url,
        headers: { 'x-api-key': key, ...headers },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
    },
    async close() {
      await workflows?.stop();
      await runner.stop(2000);
      await api.close();
      await bus.close();
      await store.close();
    },
  };
}
