import type { Command } from 'commander';
import { PackrunError, createLogger, dataPaths, loadConfig } from '@packrun/core';
import { installBuiltinPacks } from './builtin-packs.ts';
import { openStoreBackends } from './service-backends.ts';
import { shutdownSignal } from './service-process.ts';

export function register(program: Command): void {
  program
    .command('workflow-engine')
    .description('Run a workflow engine alone (distributed deployment): wake-ups from RabbitMQ, workflow state in MongoDB; run any number of them')
    .action(async () => {
      // Loaded when the service starts: the rest of the CLI (its help included) never pays for it.
      const [{ createExecutionAuthority }, { startWorkflowEngine }] = await Promise.all([import('@packrun/api'), import('@packrun/workflow-engine')]);
      const config = loadConfig();
      if (!config.rabbitmqUrl || !config.mongodbUrl) {
        throw new PackrunError('SERVICE_NEEDS_SHARED_BACKENDS', 'a separate workflow engine needs PACKRUN_RABBITMQ_URL and PACKRUN_MONGODB_URL', {
          hint: 'point it at the broker and database the API uses; with the embedded store, `packrun api` and `packrun up` run the workflow engine themselves',
        });
      }
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      // The engine reads workflow files and resolves parameters from the installed packs, like a runner.
      await installBuiltinPacks(config);
      const backends = await openStoreBackends(config, logger);
      const authority = createExecutionAuthority({ config, ...backends, logger });
      const engine = await startWorkflowEngine({
        ...backends,
        logger,
        paths: dataPaths(config.home),
        executions: authority.executions,
        openSecrets: authority.openSecrets,
        resultInlineBytes: config.resultInlineBytes,
      });
      process.stdout.write(`workflow engine ${engine.id} consuming (store: ${backends.store.kind}, bus: ${backends.bus.kind})\n`);
      const signal = await shutdownSignal();
      process.stdout.write(`${signal}: stopping\n`);
      await engine.stop();
      await backends.close();
    });
}
