import type { Command } from 'commander';
import { PackrunError, createLogger, createSandboxDecorator, dataPaths, detectSandbox, loadConfig } from '@packrun/core';
import { HttpKeyValues, createHttpLedger, runnerIdentity, startActionRunnerService } from '@packrun/action-runner';
import { cliApiKey, serviceApiUrl } from '../api-client/connect.ts';
import { installBuiltinPacks } from './builtin-packs.ts';
import { openReadyBus } from './service-backends.ts';
import { shutdownSignal } from './service-process.ts';

export function register(program: Command): void {
  program
    .command('action-runner')
    .description('Run an action runner alone (distributed deployment): takes executions from RabbitMQ, reports to the API')
    .action(async () => {
      const config = loadConfig();
      if (!config.rabbitmqUrl) {
        throw new PackrunError('RUNNER_NEEDS_RABBITMQ', 'a separate action runner needs PACKRUN_RABBITMQ_URL', {
          hint: 'set it to the broker the API uses, or run everything in one process with `packrun up`',
        });
      }
      const apiKey = await cliApiKey(config);
      if (!apiKey) {
        throw new PackrunError('RUNNER_NEEDS_API_KEY', 'a separate action runner needs an API key to report to the API', {
          hint: 'create one with `packrun api-key create --user runner-1 --role runner` and set PACKRUN_API_KEY',
        });
      }
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      await installBuiltinPacks(config);
      const host = await detectSandbox(config);
      // The broker's credentials are checked before anything else is contacted (guest is refused
      // where jobs could reach the broker), then the key's runner identity is asked of the API.
      const bus = await openReadyBus(config, logger, host);
      const endpoint = { url: await serviceApiUrl(config, 'the action runner'), apiKey };
      const identity = await runnerIdentity(endpoint);
      const runner = await startActionRunnerService({
        config,
        paths: dataPaths(config.home),
        bus,
        ledger: createHttpLedger(endpoint),
        datastore: (executionId) => new HttpKeyValues(endpoint, executionId),
        runnerIdPrefix: identity.runnerIdPrefix,
        logger,
        heartbeatMs: config.runnerHeartbeatSeconds * 1000,
        decorator: createSandboxDecorator({ host, config }),
      });
      process.stdout.write(`action runner ${runner.id} consuming (concurrency ${config.runnerConcurrency}), reporting to ${endpoint.url}\n`);
      const signal = await shutdownSignal();
      process.stdout.write(`${signal}: stopping (grace ${config.shutdownGraceSeconds} s)\n`);
      await runner.stop(config.shutdownGraceSeconds * 1000);
      await bus.close();
    });
}
