import type { PackrunConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { dataPaths } from '../paths.ts';
import { loadDatastoreKey } from './datastore-crypto.ts';
import { openEmbeddedStore } from './embedded-store.ts';
import { KeyValueService } from './key-value-service.ts';
import { openMongoStore } from './mongodb-store.ts';
import type { Store } from './types.ts';
import type { Bus } from '../bus/types.ts';
import { keyValueTriggerFirer } from '../triggers/key-value-triggers.ts';

/** The store the configuration names: MongoDB when PACKRUN_MONGODB_URL is set, else the embedded one. */
export async function openStore(
  config: Pick<PackrunConfig, 'home' | 'mongodbUrl' | 'storeSync'>,
  logger?: Logger,
): Promise<Store> {
  if (config.mongodbUrl !== undefined) return await openMongoStore({ url: config.mongodbUrl, ...(logger === undefined ? {} : { logger }) });
  return await openEmbeddedStore({
    dir: dataPaths(config.home).store,
    sync: config.storeSync,
    // A first start after an upgrade imports the old store: the operator sees it happen.
    progress: (line) => process.stderr.write(`packrun: store: ${line}\n`),
    ...(logger === undefined ? {} : { logger }),
  });
}

/**
 * The datastore over `store`, with the configured key (or the key file in PACKRUN_HOME). With a
 * bus, every change fires StackStorm's key_value_pair triggers.
 */
export function openKeyValues(
  store: Pick<Store, 'keyValues'>,
  config: Pick<PackrunConfig, 'home' | 'datastoreKey'>,
  triggers?: { bus: Bus; logger: Logger },
): KeyValueService {
  return new KeyValueService({
    store,
    loadKey: () => loadDatastoreKey({ home: config.home, configuredKey: config.datastoreKey }),
    ...(triggers ? { onChange: keyValueTriggerFirer(triggers.bus, triggers.logger) } : {}),
  });
}
