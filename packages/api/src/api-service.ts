import type { FastifyInstance } from 'fastify';
import { dataPaths, loadDatastoreKey, type Bus, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';
import { createStoreLedger, type StoreLedger } from '@packrun/action-runner';
import type { SensorContainer } from '@packrun/sensor-container';
import { buildApiApp } from './app.ts';
import { assignLegacyKeyRoles } from './auth/api-key-records.ts';
import { EventHub } from './event-hub.ts';
import { createBuiltinExecutions } from './executions/builtin-executions.ts';
import { createExecutionService, type ExecutionService, type ParameterValidator } from './executions/execution-service.ts';
import { packParameterValidator } from './executions/parameter-validator.ts';
import { createTriggerInjector } from './executions/trigger-injection.ts';
import { createSecretSealer } from './executions/secret-parameters.ts';
import { createPackOperations } from './packs/pack-operations.ts';
import { syncInstalledPacks } from './packs/pack-registry.ts';

export interface ApiServiceOptions {
  config: PackrunConfig;
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  logger: Logger;
  /** false: build the app without listening (tests use `inject()`). */
  listen?: boolean;
  validate?: ParameterValidator;
  /** The sensor container running in this process, if any (see ApiAppDeps). */
  sensorContainer?: SensorContainer;
}

export interface ApiService {
  app: FastifyInstance;
  /** Where it listens, when it does. */
  url: string | undefined;
  ledger: StoreLedger;
  executions: ExecutionService;
  /** Opens an execution's sealed secret parameters (the workflow engine's, for the workflow's own). */
  openSecrets: (sealed: string, executionId: string) => Record<string, unknown>;
  close(): Promise<void>;
}

/** Executions stored but not confirmed queued for this long are queued again. */
const requeueAfterMs = 15_000;

/**
 * The API process: REST routes, the live stream, the execution authority runners report to, the
 * reaper of executions whose runner died, and the requeue of executions the bus never confirmed.
 */
export async function startApiService(options: ApiServiceOptions): Promise<ApiService> {
  const { config, store, bus, keyValues } = options;
  const logger = options.logger.child({ component: 'api-service' });
  const heartbeatMs = config.runnerHeartbeatSeconds * 1000;
  const secrets = createSecretSealer(() => loadDatastoreKey({ home: config.home, configuredKey: config.datastoreKey }));
  const ledger = createStoreLedger({
    store,
    bus,
    logger,
    staleAfterMs: 3 * heartbeatMs,
    openSecrets: secrets.open,
    resultInlineBytes: config.resultInlineBytes,
    injectTrigger: createTriggerInjector({ store, bus }),
  });
  const hub = new EventHub();
  await hub.start(bus);
  const executions = createExecutionService({
    store,
    bus,
    logger,
    validate: options.validate ?? packParameterValidator({ home: config.home, keyValues }),
    secrets,
  });
  const builtins = createBuiltinExecutions({ store, bus, ledger, logger });
  const packs = createPackOperations({ config, store, builtins, logger });
  await syncInstalledPacks(store, dataPaths(config.home), logger);
  await assignLegacyKeyRoles(store, logger);

  const app = await buildApiApp({
    config, store, bus, keyValues, logger, executions, ledger, hub, packs, requireApiKey: config.apiAuth,
    ...(options.sensorContainer ? { sensorContainer: options.sensorContainer } : {}),
  });

  // The in-process bus loses its queue with the process: what was queued before a restart is queued again.
  const restored = await executions.requeueUnqueued({ includeScheduled: bus.kind === 'inprocess', olderThanMs: 0 });
  if (restored > 0) logger.info({ restored }, 'executions queued again after a restart');

  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping) return;
    sweeping = true;
    try {
      await ledger.reapStaleRunners();
      if (bus.ready) await executions.requeueUnqueued({ includeScheduled: false, olderThanMs: requeueAfterMs });
    } catch (error) {
      logger.warn({ err: error }, 'execution sweep failed; retrying next beat');
    } finally {
      sweeping = false;
    }
  };
  const sweeper = setInterval(() => void sweep(), heartbeatMs);

  let url: string | undefined;
  if (options.listen !== false) {
    url = await app.listen({ host: config.apiHost, port: config.apiPort });
    logger.info({ url }, 'API listening');
  } else {
    await app.ready();
  }

  return {
    app,
    url,
    ledger,
    executions,
    openSecrets: secrets.open,
    async close(): Promise<void> {
      clearInterval(sweeper);
      builtins.stop();
      await app.close();
      await hub.stop();
    },
  };
}
