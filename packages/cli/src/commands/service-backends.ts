import { openBus, openKeyValues, openStore, type Bus, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';

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
    bus = await openReadyBus(config, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    store,
    bus,
    keyValues: openKeyValues(store, config),
    async close() {
      await bus.close().catch((error: unknown) => logger.warn({ err: error }, 'bus did not close cleanly'));
      await store.close().catch((error: unknown) => logger.warn({ err: error }, 'store did not close cleanly'));
    },
  };
}

/** The configured bus, once connected: a service refuses to start against a broker it cannot reach. */
export async function openReadyBus(config: PackrunConfig, logger: Logger): Promise<Bus> {
  const bus = openBus(config, logger);
  try {
    await bus.waitReady(config.busWaitSeconds * 1000);
  } catch (error) {
    await bus.close().catch(() => undefined);
    throw error;
  }
  return bus;
}
