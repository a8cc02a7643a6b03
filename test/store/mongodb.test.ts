import { afterAll, describe } from 'vitest';
import { collectionNames, openMongoStore, type Store } from '@packrun/core';
import { storeContract } from './store-contract.ts';

// No MongoDB server can run on this machine, so this suite is opt-in: point
// PACKRUN_TEST_MONGODB_URL at a disposable server (e.g. mongodb://127.0.0.1:27017).
const url = process.env['PACKRUN_TEST_MONGODB_URL'];
if (url === undefined) console.log('skipping the MongoDB store contract: PACKRUN_TEST_MONGODB_URL is not set');

const dbName = `packrun_test_${process.pid}`;

async function emptyStore(): Promise<Store> {
  const store = await openMongoStore({ url: url ?? '', dbName, serverSelectionTimeoutMs: 5_000 });
  for (const name of collectionNames) await store[name].remove({});
  return store;
}

describe.skipIf(url === undefined)('MongoDB store contract (needs PACKRUN_TEST_MONGODB_URL)', () => {
  afterAll(async () => {
    const store = await openMongoStore({ url: url ?? '', dbName });
    for (const name of collectionNames) await store[name].remove({});
    await store.close();
  });
  storeContract(emptyStore);
});
