import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { collectionNames, isPackrunError, openMongoStore, type Store } from '@packrun/core';
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

describe('MongoDB store without a server', () => {
  it('reports an unreachable server as STORE_UNAVAILABLE, with the password left out', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    // A free port with nothing listening on it any more.
    server.close();
    const error = await openMongoStore({ url: `mongodb://user:s3cret@127.0.0.1:${port}/db`, serverSelectionTimeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPackrunError(error) ? error.code : error).toBe('STORE_UNAVAILABLE');
    expect((error as Error).message).not.toContain('s3cret');
  });
});
