import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyValueService, loadDatastoreKey, openEmbeddedStore, openKeyValues, type Store } from '@packrun/core';

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-kv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
describe('KeyValueService', () => {
  let home: string;
  let store: Store;
  let clock: Date;
  let kv: KeyValueService;
  beforeEach(async () => {
    home = path.join(root, `home-${(n += 1)}`);
    store = await openEmbeddedStore({ dir: path.join(home, 'store') });
    clock = new Date('2026-03-01T12:00:00.000Z');
    kv = new KeyValueService({ store, loadKey: () => loadDatastoreKey({ home }), now: () => clock });
  });
  afterEach(async () => {
    await store.close();
  });

  it('sets, gets, lists by prefix and deletes system keys', async () => {
    await kv.set('app.url', 'http://x');
    await kv.set('app.user', 'ann');
    await kv.set('other', '1');
    expect((await kv.get('app.url'))?.value).toBe('http://x');
    expect(await kv.get('missing')).toBeUndefined();
    expect((await kv.list({ prefix: 'app.' })).map((e) => e.name)).toEqual(['app.url', 'app.user']);
    expect((await kv.list()).map((e) => e.name)).toEqual(['app.url', 'app.user', 'other']);
    await kv.set('app.url', 'http://y');
    expect((await kv.get('app.url'))?.value).toBe('http://y');
    expect(await kv.delete('app.url')).toBe(true);
    expect(await kv.delete('app.url')).toBe(false);
    expect(await kv.get('app.url')).toBeUndefined();
    // No secret was involved, so no key file was needed.
    expect(existsSync(path.join(home, 'secrets', 'datastore.key'))).toBe(false);
  });

  it('keeps user-scoped keys per user and apart from system keys', async () => {
    await kv.set('token', 'system-value');
    await kv.set('token', 'ann-value', { scope: 'user', user: 'ann' });
    await kv.set('token', 'bob-value', { scope: 'user', user: 'bob' });
    expect((await kv.get('token'))?.value).toBe('system-value');
    expect((await kv.get('token', { scope: 'user', user: 'ann' }))?.value).toBe('ann-value');
    expect((await kv.list({ scope: 'user', user: 'bob' })).map((e) => e.value)).toEqual(['bob-value']);
    await expect(kv.get('token', { scope: 'user' })).rejects.toMatchObject({ code: 'KV_INVALID' });
    await expect(kv.set('', 'x')).rejects.toMatchObject({ code: 'KV_INVALID' });
    await expect(kv.set('x', 'y', { ttl: -1 })).rejects.toMatchObject({ code: 'KV_INVALID' });
  });

  it('encrypts secrets at rest and decrypts only when asked', async () => {
    await kv.set('password', 'hunter2-secret', { encrypt: true });
    const raw = await store.keyValues.get('system:password');
    expect(raw?.secret).toBe(true);
    expect(raw?.value).not.toContain('hunter2');
    const masked = await kv.get('password');
    expect(masked?.secret).toBe(true);
    expect(masked?.value).toBe(raw?.value);
    expect((await kv.get('password', { decrypt: true }))?.value).toBe('hunter2-secret');
    expect((await kv.list({ decrypt: true }))[0]?.value).toBe('hunter2-secret');
    // Same plaintext, fresh IV: equal secrets do not look equal at rest.
    await kv.set('password2', 'hunter2-secret', { encrypt: true });
    expect((await store.keyValues.get('system:password2'))?.value).not.toBe(raw?.value);

    const keyFile = path.join(home, 'secrets', 'datastore.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
    await store.close();
    const onDisk = readFileSync(path.join(home, 'store', 'packrun.sqlite'), 'latin1');
    expect(onDisk).toContain('password');
    expect(onDisk).not.toContain('hunter2');

    store = await openEmbeddedStore({ dir: path.join(home, 'store') });
    const again = openKeyValues(store, { home, datastoreKey: undefined });
    expect((await again.get('password', { decrypt: true }))?.value).toBe('hunter2-secret');
    const otherKey = openKeyValues(store, { home, datastoreKey: Buffer.alloc(32, 7).toString('base64') });
    await expect(otherKey.get('password', { decrypt: true })).rejects.toMatchObject({ code: 'KV_DECRYPT_FAILED' });
    const badKey = openKeyValues(store, { home, datastoreKey: 'too-short' });
    await expect(badKey.get('password', { decrypt: true })).rejects.toMatchObject({ code: 'KV_KEY_INVALID' });
  });

  it('treats expired keys as absent and removes them', async () => {
    await kv.set('session', 'abc', { ttl: 10 });
    await kv.set('forever', 'x');
    expect((await kv.get('session'))?.expiresAt).toBe('2026-03-01T12:00:10.000Z');
    clock = new Date('2026-03-01T12:00:09.000Z');
    expect((await kv.get('session'))?.value).toBe('abc');
    clock = new Date('2026-03-01T12:00:10.000Z');
    expect(await kv.get('session')).toBeUndefined();
    expect(await store.keyValues.get('system:session')).toBeUndefined();

    await kv.set('session', 'def', { ttl: 5 });
    clock = new Date('2026-03-01T12:01:00.000Z');
    expect((await kv.list()).map((e) => e.name)).toEqual(['forever']);
    // Setting again without a ttl makes it permanent.
    await kv.set('forever', 'y', { ttl: 1 });
    await kv.set('forever', 'z');
    clock = new Date('2026-03-02T00:00:00.000Z');
    expect((await kv.get('forever'))?.value).toBe('z');
  });
});
