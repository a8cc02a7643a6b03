import { loadDatastoreKey, type Bus, type ExecutionRecord, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';
import { createExecutionService, type ExecutionService, type ParameterValidator } from './execution-service.ts';
import { packParameterValidator } from './parameter-validator.ts';
import { createSecretSealer } from './secret-parameters.ts';

export interface ExecutionAuthority {
  executions: ExecutionService;
  /** Opens an execution's sealed secret parameters. */
  openSecrets: (sealed: string, executionId: string) => Record<string, unknown>;
}

/**
 * The execution service over a store and a bus, with the pack parameter validator and the sealer
 * of secret parameters: the API's own, and a separate workflow engine's (which shares the API's
 * MongoDB, RabbitMQ, packs and datastore key) for the children its workflows start.
 */
export function createExecutionAuthority(options: {
  config: PackrunConfig;
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  logger: Logger;
  validate?: ParameterValidator;
  /** Told of every execution the service itself ends (a cancel before a runner took it): the API's internal triggers and retry policy. */
  onCompleted?: (record: ExecutionRecord) => void;
}): ExecutionAuthority {
  const { config, store, bus, keyValues, logger } = options;
  const secrets = createSecretSealer(() => loadDatastoreKey({ home: config.home, configuredKey: config.datastoreKey }));
  const executions = createExecutionService({
    store,
    bus,
    logger,
    validate: options.validate ?? packParameterValidator({ home: config.home, keyValues }),
    secrets,
    ...(options.onCompleted ? { onCompleted: options.onCompleted } : {}),
  });
  return { executions, openSecrets: secrets.open };
}
