import { hashApiKey, openKeyValues, openStore, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';
import { cliApiKey, cliKeyUser } from '../api-client/connect.ts';
import { describeLegacyImport, importLegacyKeyValues } from './legacy-kv-import.ts';

/**
 * The store the server of PACKRUN_HOME uses, opened by the CLI itself while no server runs: the
 * embedded store (its lock taken for as long as the command needs it) or MongoDB. What a command
 * does here is what the server finds when it starts.
 */
export interface LocalStore {
  store: Store;
  keyValues: KeyValues;
  /** Whom the CLI acts as: the user of the CLI key, as through the API. */
  user: string;
  close(): Promise<void>;
}

/** The CLI key's user, as the API would see the caller. */
async function cliUser(store: Store, config: PackrunConfig): Promise<string> {
  const key = await cliApiKey(config);
  const record = key === undefined ? undefined : await store.apiKeys.findOne({ keyHash: hashApiKey(key) });
  return record?.user ?? cliKeyUser;
}

/**
 * Imports the datastore file of an earlier version (PACKRUN_HOME/kv.json) once, saying so on
 * stderr: the server and the CLI both call it when they open the store.
 */
export async function importLegacyDatastore(config: PackrunConfig, keyValues: KeyValues, user: string): Promise<void> {
  const report = await importLegacyKeyValues(config.home, keyValues, user);
  if (report) for (const line of describeLegacyImport(report)) process.stderr.write(`packrun: datastore: ${line}\n`);
}

export async function openLocalStore(config: PackrunConfig, logger: Logger): Promise<LocalStore> {
  const store = await openStore(config, logger);
  try {
    const keyValues = openKeyValues(store, config);
    const user = await cliUser(store, config);
    await importLegacyDatastore(config, keyValues, user);
    return { store, keyValues, user, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
