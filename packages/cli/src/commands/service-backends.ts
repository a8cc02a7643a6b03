import { setTimeout as sleep } from 'node:timers/promises';
import { brokerEndpoint, detectSandbox, isPackrunError, openBus, openKeyValues, openStore, refuseExposedGuest, type Bus, type KeyValues, type Logger, type PackrunConfig, type SandboxHost, type Store } from '@packrun/core';
import { cliKeyUser } from '../api-client/connect.ts';
import { importLegacyDatastore } from '../local-store/local-store.ts';

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
export async function openStoreBackends(config: PackrunConfig, logger: Logger, host?: SandboxHost): Promise<StoreBackends> {
  await guardBroker(config, host);
  const store = await openStoreWhenFree(config, logger);
  const importing = openKeyValues(store, config);
  let bus: Bus;
  try {
    await importLegacyDatastore(config, importing, cliKeyUser);
    bus = await openReadyBus(config, logger, host);
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    store,
    bus,
    // The services' datastore fires the key_value_pair triggers; the import above, before the bus, fires none.
    keyValues: openKeyValues(store, config, { bus, logger }),
    async close() {
      await bus.close().catch((error: unknown) => logger.warn({ err: error }, 'bus did not close cleanly'));
      await store.close().catch((error: unknown) => logger.warn({ err: error }, 'store did not close cleanly'));
    },
  };
}

/**
 * A CLI command working on the store while no server runs holds the embedded store's lock for a
 * moment (packrun key, packrun execution): a service starting just then waits that moment out
 * rather than refuse. A store held longer (another server, a `packrun run` still running) is
 * refused with STORE_LOCKED naming its holder.
 */
const lockedStoreWaitMs = 3000;

async function openStoreWhenFree(config: PackrunConfig, logger: Logger): Promise<Store> {
  const deadline = Date.now() + lockedStoreWaitMs;
  for (;;) {
    try {
      return await openStore(config, logger);
    } catch (error) {
      if (!isPackrunError(error) || error.code !== 'STORE_LOCKED' || Date.now() >= deadline) throw error;
    }
    await sleep(100);
  }
}

/**
 * A service refuses to log in to RabbitMQ as guest when jobs on this host could reach the broker
 * (refuseExposedGuest). `host` is this host's sandbox, when the service detected it already.
 */
async function guardBroker(config: PackrunConfig, host: SandboxHost | undefined): Promise<void> {
  if (config.rabbitmqUrl === undefined || brokerEndpoint(config.rabbitmqUrl).user !== 'guest') return;
  await refuseExposedGuest(config, host ?? (await detectSandbox(config)));
}

/** The configured bus, once connected: a service refuses to start against a broker it cannot reach. */
export async function openReadyBus(config: PackrunConfig, logger: Logger, host?: SandboxHost): Promise<Bus> {
  await guardBroker(config, host);
  const bus = openBus(config, logger);
  try {
    await bus.waitReady(config.busWaitSeconds * 1000);
  } catch (error) {
    await bus.close().catch(() => undefined);
    throw error;
  }
  return bus;
}
