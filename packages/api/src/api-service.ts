import type { FastifyInstance } from 'fastify';
import { dataPaths, loadDatastoreKey, PackrunError, recordApiAddress, retentionPolicy, type Bus, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';
import { createStoreLedger, type StoreLedger } from '@packrun/action-runner';
import type { SensorContainer } from '@packrun/sensor-container';
import { buildApiApp, listeningAddress } from './app.ts';
import { assignLegacyKeyRoles } from './auth/api-key-records.ts';
import { EventHub } from './event-hub.ts';
import { createBuiltinExecutions } from './executions/builtin-executions.ts';
import { createCompletionHandler, type CompletionStep } from './executions/execution-completion.ts';
import { createExecutionTriggers, createInquiryTrigger } from './executions/execution-triggers.ts';
import { createRetryPolicy } from './executions/retry-policy.ts';
import type { ExecutionService, ParameterValidator } from './executions/execution-service.ts';
import { createExecutionAuthority } from './executions/execution-authority.ts';
import { createTriggerInjector } from './executions/trigger-injection.ts';
import { createSecretSealer } from './executions/secret-parameters.ts';
import { createPackOperations } from './packs/pack-operations.ts';
import { createInquiryService, type InquiryService } from './inquiries/inquiry-service.ts';
import { createInquiryWorkflowResume } from './inquiries/resume-workflow.ts';
import { syncInstalledPacks } from './packs/pack-registry.ts';
import { startRetentionJob } from './retention-job.ts';
import { startStallMonitor } from './stall-monitor.ts';

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
  /** The running Packrun's version (GET /api/v1/version). */
  version?: string;
  /** The web UI's folder, when not the built packages/web/dist (tests). */
  webUiRoot?: string;
}

export interface ApiService {
  app: FastifyInstance;
  /** Where it listens, when it does. */
  url: string | undefined;
  ledger: StoreLedger;
  executions: ExecutionService;
  /** Opens an execution's sealed secret parameters (the workflow engine's, for the workflow's own). */
  openSecrets: (sealed: string, executionId: string) => Record<string, unknown>;
  inquiries: InquiryService;
  close(): Promise<void>;
}

/** Executions stored but not confirmed queued for this long are queued again. */
const requeueAfterMs = 15_000;

/**
 * The API process: REST routes, the live stream, the execution authority runners report to, the
 * reaper of executions whose runner died, the requeue of executions the bus never confirmed, and
 * the retention job.
 */
export async function startApiService(options: ApiServiceOptions): Promise<ApiService> {
  const { config, store, bus, keyValues } = options;
  const logger = options.logger.child({ component: 'api-service' });
  const heartbeatMs = config.runnerHeartbeatSeconds * 1000;
  const secrets = createSecretSealer(() => loadDatastoreKey({ home: config.home, configuredKey: config.datastoreKey }));
  // Steps that need the execution service are bound once it exists; an execution cannot end before.
  let completionSteps: CompletionStep[] = [];
  const onCompleted = createCompletionHandler(logger, () => completionSteps);
  const stalls = startStallMonitor({ thresholdMs: heartbeatMs, logger });
  const ledger = createStoreLedger({
    store,
    bus,
    logger,
    staleAfterMs: 3 * heartbeatMs,
    awakeSince: stalls.awakeSince,
    openSecrets: secrets.open,
    resultInlineBytes: config.resultInlineBytes,
    injectTrigger: createTriggerInjector({ store, bus }),
    onCompleted,
    onPending: createInquiryTrigger({ store, bus, logger }),
  });
  const hub = new EventHub();
  await hub.start(bus);
  const { executions } = createExecutionAuthority({ config, store, bus, keyValues, logger, onCompleted, ...(options.validate ? { validate: options.validate } : {}) });
  completionSteps = [
    { name: 'retry policy', run: createRetryPolicy({ store, executions, logger }) },
    { name: 'internal triggers', run: createExecutionTriggers({ store, bus, keyValues, logger }) },
  ];
  const resumeWorkflowOf = createInquiryWorkflowResume({ store, executions, logger });
  const inquiries = createInquiryService({
    store,
    bus,
    logger,
    resultInlineBytes: config.resultInlineBytes,
    onCompleted: (record) => {
      ledger.releasePlaces(record).catch((error: unknown) => logger.warn({ err: error, executionId: record.id }, 'concurrency places not given back yet; the sweep will'));
      onCompleted(record);
      resumeWorkflowOf(record).catch((error: unknown) => logger.warn({ err: error, executionId: record.id }, 'the workflow waiting on this inquiry was not resumed; resume it'));
    },
  });
  const builtins = createBuiltinExecutions({ store, bus, ledger, logger });
  const packs = createPackOperations({ config, store, builtins, logger });
  await syncInstalledPacks(store, dataPaths(config.home), logger);
  await assignLegacyKeyRoles(store, logger);

  const app = await buildApiApp({
    config, store, bus, keyValues, logger, executions, inquiries, ledger, hub, packs, requireApiKey: config.apiAuth,
    ...(options.sensorContainer ? { sensorContainer: options.sensorContainer } : {}),
    ...(options.version ? { version: options.version } : {}),
    ...(options.webUiRoot ? { webUiRoot: options.webUiRoot } : {}),
  });

  // Listening comes before any work is taken (queued executions, the reaper): a taken address
  // then fails the start at once, leaving nothing running that the caller must stop.
  let url: string | undefined;
  try {
    url = await listenOrReady(app, options.listen !== false, config);
  } catch (error) {
    stalls.stop();
    builtins.stop();
    await app.close().catch(() => undefined);
    await hub.stop();
    throw error;
  }
  // The CLI and the separate services on this data folder find this API here.
  const forgetAddress = url === undefined ? () => undefined : recordApiAddress(config.home, connectableUrl(app));

  // The in-process bus loses its queue with the process: what was queued before a restart is queued again.
  const restored = await executions.requeueUnqueued({ includeScheduled: bus.kind === 'inprocess', olderThanMs: 0 });
  if (restored > 0) logger.info({ restored }, 'executions queued again after a restart');
  // Delays that ran out while no API ran are scheduled now; the next one due gets a timer.
  await executions.releaseDelayed();

  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping) return;
    sweeping = true;
    try {
      await ledger.reapStaleRunners();
      await ledger.reconcilePolicies();
      await inquiries.expire();
      if (bus.ready) await executions.requeueUnqueued({ includeScheduled: false, olderThanMs: requeueAfterMs });
      // Another API on the same store may have taken a delayed execution this one's timer waits for.
      await executions.releaseDelayed();
    } catch (error) {
      logger.warn({ err: error }, 'execution sweep failed; retrying next beat');
    } finally {
      sweeping = false;
    }
  };
  const sweeper = setInterval(() => void sweep(), heartbeatMs);
  const retention = startRetentionJob({ store, policy: retentionPolicy(config), intervalMs: config.retentionIntervalSeconds * 1000, logger });

  return {
    app,
    url,
    ledger,
    executions,
    openSecrets: secrets.open,
    inquiries,
    async close(): Promise<void> {
      forgetAddress();
      clearInterval(sweeper);
      executions.stop();
      stalls.stop();
      await retention.stop();
      builtins.stop();
      await app.close();
      await hub.stop();
    },
  };
}

/** Listens on the configured address (or only readies the app); a taken address is API_ADDRESS_IN_USE. */
async function listenOrReady(app: FastifyInstance, listen: boolean, config: PackrunConfig): Promise<string | undefined> {
  if (!listen) {
    await app.ready();
    return undefined;
  }
  try {
    const url = await app.listen({ host: config.apiHost, port: config.apiPort });
    app.log.info({ url }, 'API listening');
    return url;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const address = config.apiHost.includes(':') ? `[${config.apiHost}]:${config.apiPort}` : `${config.apiHost}:${config.apiPort}`;
    throw new PackrunError('API_ADDRESS_IN_USE', `the API cannot listen on ${address}: another process is listening there`, {
      hint: 'stop that process, or give Packrun another address (PACKRUN_API_PORT, PACKRUN_API_HOST)',
      details: { host: config.apiHost, port: config.apiPort },
      cause: error,
    });
  }
}

/** Where a client on this host reaches the API: a wildcard listen address is reached on loopback. */
function connectableUrl(app: FastifyInstance): string {
  const url = listeningAddress(app);
  if (url === undefined) throw new Error('the API is not listening on a TCP port');
  return url;
}
