import { createInProcessBus, createRabbitMqBus, dataPaths, openEmbeddedStore, type Bus, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';

export interface StoreBackends {
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  close(): Promise<void>;
}

/**
 * The store and bus a service process uses: MongoDB and RabbitMQ when their URLs are set, else the
 * embedded store in PACKRUN_HOME/store (one process only) and the in-process bus.
 */
export async function openStoreBackends(config: PackrunConfig, logger: Logger): Promise<StoreBackends> {
  const store = await openStore(config, logger);
  let bus: Bus;
  try {
    bus = await openBus(config, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  const keyValues = createKeyValueService({ store, home: config.home });
  return {
    store,
    bus,
    keyValues,
    async close() {
      await bus.close().catch((error: unknown) => logger.warn({ err: error }, 'bus did not close cleanly'));
      await store.close().catch((error: unknown) => logger.warn({ err: error }, 'store did not close cleanly'));
    },
  };
}

async function openStore(config: PackrunConfig, logger: Logger): Promise<Store> {
  if (config.mongodbUrl) return openMongoStore({ url: config.mongodbUrl, logger });
  return openEmbeddedStore({ dir: dataPaths(config.home).store, logger });
}

export async function openBus(config: PackrunConfig, logger: Logger): Promise<Bus> {
  if (config.rabbitmqUrl) {
    const bus = createRabbitMqBus({ url: config.rabbitmqUrl, prefix: config.rabbitmqPrefix, logger });
    await bus.waitReady(30_000);
    return bus;
  }
  return createInProcessBus({ logger });
}
