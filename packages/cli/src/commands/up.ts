import type { Command } from 'commander';
import { createLogger, createSandboxDecorator, dataPaths, detectSandbox, loadConfig, packGetsApi, type ActionApiRoute } from '@packrun/core';
import { packCodeApiRoute } from './pack-code-api.ts';
import { installBuiltinPacks } from './builtin-packs.ts';
import { sensorContainerSettings } from './sensor.ts';
import { openStoreBackends } from './service-backends.ts';
import { ensureCliKey, shutdownSignal } from './service-process.ts';
import { versionText } from '../version.ts';

export function register(program: Command): void {
  program
    .command('up')
    .description('Run Packrun in one process: the API, an action runner, the workflow engine, the rules engine and the sensor container, on the embedded store and in-process bus (MongoDB and RabbitMQ when PACKRUN_MONGODB_URL / PACKRUN_RABBITMQ_URL are set)')
    .action(async () => {
      // Loaded when the service starts: the rest of the CLI (its help included) never pays for it.
      const [{ startApiService }, { startActionRunnerService }, { executionRequester, sitePackConfig, startRulesEngine }, { startSensorContainer }, { startWorkflowEngine }, { collectRetiredVersions }] = await Promise.all([
        import('@packrun/api'),
        import('@packrun/action-runner'),
        import('@packrun/rules-engine'),
        import('@packrun/sensor-container'),
        import('@packrun/workflow-engine'),
        import('@packrun/pack-installer'),
      ]);
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      const host = await detectSandbox(config);
      const backends = await openStoreBackends(config, logger, host);
      const keyFile = await ensureCliKey(backends.store, config.home, logger);
      const paths = dataPaths(config.home);
      // Known once the API listens; a pack's warm zygote asks for it when it starts (later still).
      let actionApi: ActionApiRoute | undefined;
      const decorator = createSandboxDecorator({
        host,
        config,
        packHostPorts: (pack) => (actionApi && packGetsApi(config.actionApiPacks, pack) ? actionApi.hostPorts : []),
      });
      // Pack versions that jobs of an earlier run kept past an install: those jobs are gone now.
      await collectRetiredVersions(config.home);
      await installBuiltinPacks(config, decorator);
      // The API takes the sensor container, so it listens after the sensors start: those of packs
      // given StackStorm's API wait for its address, which is handed over here once known.
      let handSensorsApi: (route: ActionApiRoute | undefined) => void = () => undefined;
      const sensorsApi = new Promise<ActionApiRoute | undefined>((resolve) => {
        handSensorsApi = resolve;
      });
      const sensors = await startSensorContainer({
        ...sensorContainerSettings(config),
        ...backends,
        paths,
        config,
        logger,
        decorator,
        ...(config.actionApiPacks.length > 0 ? { packCodeApi: sensorsApi } : {}),
      });
      // A start that fails here (the API's address taken) stops what it started and lets the store go.
      const api = await startApiService({ config, ...backends, logger, sensorContainer: sensors , version: versionText() }).catch(async (error: unknown) => {
        handSensorsApi(undefined);
        await sensors.stop();
        await backends.close();
        throw error;
      });
      actionApi = await packCodeApiRoute(config, api.url, logger);
      handSensorsApi(actionApi);
      const rules = await startRulesEngine({
        ...backends,
        logger,
        requestExecution: executionRequester(api.executions, backends.store),
        packConfig: sitePackConfig(paths, backends.keyValues),
        concurrency: config.rulesConcurrency,
      });
      const workflows = await startWorkflowEngine({
        ...backends,
        logger,
        paths,
        executions: api.executions,
        openSecrets: api.openSecrets,
        resultInlineBytes: config.resultInlineBytes,
      });
      const runner = await startActionRunnerService({
        config,
        paths,
        bus: backends.bus,
        ledger: api.ledger,
        datastore: backends.keyValues,
        logger,
        heartbeatMs: config.runnerHeartbeatSeconds * 1000,
        decorator,
        ...(actionApi ? { actionApi } : {}),
      });
      process.stdout.write(
        `packrun is up: API ${api.url} (store: ${backends.store.kind}, bus: ${backends.bus.kind}); CLI key in ${keyFile}\n`,
      );
      const signal = await shutdownSignal();
      process.stdout.write(`${signal}: stopping (grace ${config.shutdownGraceSeconds} s)\n`);
      await sensors.stop();
      await rules.stop();
      await workflows.stop();
      await runner.stop(config.shutdownGraceSeconds * 1000);
      await api.close();
      await backends.close();
    });
}
