import type { Command } from 'commander';
import { createLogger, dataPaths, loadConfig } from '@packrun/core';
import type { WorkflowEngine } from '@packrun/workflow-engine';
import { installBuiltinPacks } from './builtin-packs.ts';
import { openStoreBackends } from './service-backends.ts';
import { ensureCliKey, shutdownSignal } from './service-process.ts';
import { versionText } from '../version.ts';

export function register(program: Command): void {
  program
    .command('api')
    .description('Run the API alone (distributed deployment): action runners connect to it and to RabbitMQ')
    .action(async () => {
      // Loaded when the service starts: the rest of the CLI (its help included) never pays for it.
      const [{ startApiService }, { startWorkflowEngine }] = await Promise.all([import('@packrun/api'), import('@packrun/workflow-engine')]);
      const config = loadConfig();
      const logger = createLogger({ level: config.logLevel, format: config.logFormat });
      await installBuiltinPacks(config);
      const backends = await openStoreBackends(config, logger);
      const keyFile = await ensureCliKey(backends.store, config.home, logger);
      const api = await startApiService({ config, ...backends, logger , version: versionText() }).catch(async (error: unknown) => {
        await backends.close();
        throw error;
      });
      // The embedded store is this process's alone: no `packrun workflow-engine` can reach it, so
      // the API steps the workflows itself. With MongoDB, separate engines do.
      let workflows: WorkflowEngine | undefined;
      if (backends.store.kind === 'embedded') {
        workflows = await startWorkflowEngine({
          ...backends,
          logger,
          paths: dataPaths(config.home),
          executions: api.executions,
          openSecrets: api.openSecrets,
          resultInlineBytes: config.resultInlineBytes,
        });
      }
      process.stdout.write(`packrun api listening on ${api.url} (store: ${backends.store.kind}, bus: ${backends.bus.kind}); CLI key in ${keyFile}\n`);
      const signal = await shutdownSignal();
      process.stdout.write(`${signal}: stopping\n`);
      await workflows?.stop();
      await api.close();
      await backends.close();
    });
}
