import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, openEmbeddedStore, type Store } from '@packrun/core';
import { listRouteAccess, registerAuthorization } from './authorize.ts';

let store: Store;

beforeAll(async () => {
  store = await openEmbeddedStore({ dir: await mkdtemp(path.join(os.tmpdir(), 'packrun-authorize-')), logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await store?.close();
});

function app(): FastifyInstance {
  const instance = Fastify();
  registerAuthorization(instance, store, { required: true });
  return instance;
}

describe('routes declare their access (default deny)', () => {
  it('refuses to register a route without config.access, or with an unknown one', async () => {
    const instance = app();
    expect(() => instance.get('/api/v1/forgotten', async () => ({ secret: true }))).toThrow(/declares no access/);
    expect(() => instance.get('/api/v1/typo', { config: { access: 'everyone' as never } }, async () => ({}))).toThrow(/declares no access/);
    await instance.close();
  });

  it('refuses one registered inside a plugin too, at start-up', async () => {
    const instance = app();
    void instance.register(async (scope) => {
      scope.post('/api/v1/in-plugin', async () => ({}));
    });
    await expect(instance.ready()).rejects.toMatchObject({ code: 'ROUTE_ACCESS_UNDECLARED' });
  });

  it('lists what each route declared, HEAD routes included', async () => {
    const instance = app();
    instance.get('/api/v1/open', { config: { access: 'public' } }, async () => ({ ok: true }));
    instance.post('/api/v1/hook', { config: { access: 'operate', keyInQuery: true } }, async () => ({}));
    instance.post('/auth/v1/mint', { config: { access: 'self', keyOnly: true } }, async () => ({}));
    await instance.ready();
    expect(listRouteAccess(instance)).toEqual([
      { method: 'GET', url: '/api/v1/open', access: 'public', keyInQuery: false, keyOnly: false },
      { method: 'HEAD', url: '/api/v1/open', access: 'public', keyInQuery: false, keyOnly: false },
      { method: 'POST', url: '/api/v1/hook', access: 'operate', keyInQuery: true, keyOnly: false },
      { method: 'POST', url: '/auth/v1/mint', access: 'self', keyInQuery: false, keyOnly: true },
    ]);
    expect((await instance.inject({ method: 'GET', url: '/api/v1/open' })).statusCode).toBe(200);
    expect((await instance.inject({ method: 'POST', url: '/api/v1/hook' })).json()).toMatchObject({ code: 'API_KEY_MISSING' });
    await instance.close();
  });
});
