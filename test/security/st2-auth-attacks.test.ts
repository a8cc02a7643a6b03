import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, listRouteAccess } from '@packrun/api';
import { hashApiKey } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks } from '../runner/fixtures.ts';
import { freePort, startPackrun } from '../services/packrun-process.ts';
import { rawRequest, startAuthzStack, type AuthzStack, type RawResponse } from './authz-fixture.ts';
import { pathSpellings, st2Aliases } from './path-spellings.ts';

/**
 * StackStorm's auth on Packrun: tokens minted from API keys (POST /auth/v1/tokens), sent as
 * X-Auth-Token or ?x-auth-token=. Each attack against them, over a real socket: a token does no
 * more than its key's role, dies at its expiry and with its key, cannot mint another, is never
 * logged, and st2's path prefixes reach no route with a weaker check.
 */
let stack: AuthzStack;

beforeAll(async () => {
  stack = await startAuthzStack();
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<RawResponse> {
  return rawRequest(stack.url, { method, path, headers, ...(body === undefined ? {} : { body }) });
}

function json(response: RawResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

async function tokenFor(key: string, body: unknown = {}): Promise<{ token: string; expiry: string; user: string }> {
  const response = await call('POST', '/auth/v1/tokens', { 'st2-api-key': key }, body);
  expect(response.status, response.body).toBe(201);
  return json(response) as { token: string; expiry: string; user: string };
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('a token acts with its key\'s role and no more', () => {
  it('lets an observer\'s token read but not run, cancel, write keys or mint keys', async () => {
    const { token } = await tokenFor(stack.keys.observer.key);
    expect((await call('GET', '/api/v1/executions', { 'x-auth-token': token })).status).toBe(200);
    const attempts: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'touch /tmp/pwned' } }],
      ['DELETE', `/api/v1/executions/${stack.executionId}`],
      ['POST', `/api/v1/executions/${stack.executionId}/re_run`, {}],
      ['PUT', `/api/v1/executions/${stack.executionId}`, { status: 'pausing' }],
      ['PUT', '/api/v1/keys/planted', { value: 'x', scope: 'user' }],
      ['POST', '/api/v1/apikeys', { user: 'intruder', role: 'admin' }],
      ['GET', `/api/v1/keys/${stack.secretName}?decrypt=true`],
    ];
    for (const [method, path, body] of attempts) {
      for (const headers of [{ 'x-auth-token': token }, {}] as Array<Record<string, string>>) {
        const url = Object.keys(headers).length === 0 ? `${path}${path.includes('?') ? '&' : '?'}x-auth-token=${token}` : path;
        const response = await call(method, url, headers, body);
        expect(response.status, `${method} ${url}: ${response.body}`).toBe(403);
        expect(json(response)['code']).toBe('API_ROLE_FORBIDDEN');
      }
    }
    expect(await stack.store.executions.count({})).toBe(1);
    expect((await stack.store.executions.get(stack.executionId))?.status).toBe('scheduled');
    expect(await stack.store.apiKeys.count({ user: 'intruder' })).toBe(0);
  });

  it('reports the key\'s user and role as st2 does (GET /api/v1/user), and the token\'s expiry', async () => {
    const { token, expiry } = await tokenFor(stack.keys.operator.key, { ttl: 600 });
    const user = json(await call('GET', '/v1/user', { 'x-auth-token': token }));
    expect(user).toEqual({
      username: 'user-operator',
      authentication: { method: 'authentication token', location: 'header', token_expire: `${expiry.slice(0, 19)}Z` },
      rbac: { enabled: true, roles: ['operator'], is_admin: false },
    });
    expect(Date.parse(expiry) - Date.now()).toBeLessThanOrEqual(600_000);
    expect(Date.parse(expiry) - Date.now()).toBeGreaterThan(590_000);
    const byKey = json(await call('GET', '/api/user?st2-api-key=' + stack.keys.admin.key));
    expect(byKey).toEqual({ username: 'user-admin', authentication: { method: 'API key', location: 'query' }, rbac: { enabled: true, roles: ['admin'], is_admin: true } });
  });

  it('stores only the token\'s hash', async () => {
    const { token } = await tokenFor(stack.keys.observer.key);
    const stored = await stack.store.authTokens.findOne({ tokenHash: hashApiKey(token) });
    expect(stored?.apiKeyId).toBe(stack.keys.observer.id);
    expect(JSON.stringify(await stack.store.authTokens.find({}))).not.toContain(token);
  });
});

describe('a token dies at its expiry and with its key', () => {
  it('refuses an expired token with 401 TOKEN_EXPIRED, and a made-up one with 401 TOKEN_INVALID', async () => {
    const { token } = await tokenFor(stack.keys.operator.key);
    await stack.store.authTokens.update({ tokenHash: hashApiKey(token) }, { set: { expiresAt: new Date(Date.now() - 1000).toISOString() } });
    const expired = await call('GET', '/api/v1/executions', { 'x-auth-token': token });
    expect(expired.status).toBe(401);
    expect(json(expired)['code']).toBe('TOKEN_EXPIRED');
    expect(json(await call('POST', '/auth/v1/tokens/validate', { 'st2-api-key': stack.keys.observer.key }, { token }))).toEqual({ valid: false });
    const madeUp = await call('GET', '/api/v1/executions', { 'x-auth-token': 'f'.repeat(64) });
    expect(madeUp.status).toBe(401);
    expect(json(madeUp)['code']).toBe('TOKEN_INVALID');
  });

  it('refuses the tokens of a deleted key and of a disabled key with 401 TOKEN_INVALID', async () => {
    for (const how of ['deleted', 'disabled'] as const) {
      const { key, record } = await createApiKey(stack.store, { user: `doomed-${how}`, role: 'operator' });
      const { token } = await tokenFor(key);
      expect((await call('GET', '/api/v1/executions', { 'x-auth-token': token })).status).toBe(200);
      expect(json(await call('POST', '/auth/v1/tokens/validate', { 'x-auth-token': token }, { token }))).toEqual({ valid: true });
      if (how === 'deleted') {
        expect((await call('DELETE', `/api/v1/apikeys/${record.id}`, { 'x-api-key': stack.keys.system_admin.key })).status).toBe(204);
        expect(await stack.store.authTokens.count({ apiKeyId: record.id })).toBe(0);
      } else {
        await stack.store.apiKeys.update({ id: record.id }, { set: { enabled: false } });
      }
      const refused = await call('GET', `/api/v1/executions?x-auth-token=${token}`);
      expect(refused.status, how).toBe(401);
      expect(json(refused)['code']).toBe('TOKEN_INVALID');
    }
  });

  it('refuses a ttl over PACKRUN_TOKEN_TTL_MAX with 400 TOKEN_TTL_TOO_LARGE and mints nothing', async () => {
    const before = await stack.store.authTokens.count({});
    const response = await call('POST', '/auth/v1/tokens', { 'st2-api-key': stack.keys.operator.key }, { ttl: 86401 });
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({ code: 'TOKEN_TTL_TOO_LARGE', faultstring: 'TTL specified 86401 is greater than max allowed 86400' });
    expect(await stack.store.authTokens.count({})).toBe(before);
  });
});

describe('minting tokens', () => {
  it('takes an API key as the password of Basic auth (st2 auth / st2 login), for the key\'s own user only', async () => {
    const ok = await call('POST', '/auth/tokens', basic('user-operator', stack.keys.operator.key), {});
    expect(ok.status, ok.body).toBe(201);
    expect(json(ok)['user']).toBe('user-operator');
    const otherUser = await call('POST', '/auth/v1/tokens', basic('user-admin', stack.keys.operator.key), {});
    expect(otherUser.status).toBe(401);
    expect(json(otherUser)['code']).toBe('TOKEN_USER_MISMATCH');
    // st2 auth with ST2_API_KEY set sends both: the header key decides, the user must still be its own.
    const both = await call('POST', '/auth/v1/tokens', { ...basic('user-admin', 'anything'), 'st2-api-key': stack.keys.operator.key }, {});
    expect(json(both)['code']).toBe('TOKEN_USER_MISMATCH');
  });

  it('refuses a password that is no key, a token, and nothing at all with 401, minting nothing', async () => {
    const before = await stack.store.authTokens.count({});
    const { token } = await tokenFor(stack.keys.admin.key);
    const cases: Array<[Record<string, string>, string]> = [
      [basic('user-admin', 'Ch@ngeMe'), 'API_KEY_INVALID'],
      [{ 'x-auth-token': token }, 'TOKEN_NEEDS_API_KEY'],
      [basic('user-admin', ''), 'TOKEN_NEEDS_API_KEY'],
      [{}, 'TOKEN_NEEDS_API_KEY'],
    ];
    for (const [headers, code] of cases) {
      const response = await call('POST', '/auth/v1/tokens', headers, {});
      expect(response.status, response.body).toBe(401);
      expect(json(response)['code']).toBe(code);
    }
    const viaQuery = await call('POST', `/auth/v1/tokens?x-auth-token=${token}`, {}, {});
    expect(json(viaQuery)['code']).toBe('TOKEN_NEEDS_API_KEY');
    expect(await stack.store.authTokens.count({})).toBe(before + 1);
  });

  it('refuses st2\'s impersonation fields: Packrun has no service users', async () => {
    const response = await call('POST', '/auth/v1/tokens', { 'st2-api-key': stack.keys.system_admin.key }, { ttl: 60, user: 'someone-else' });
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({ code: 'REQUEST_INVALID', details: { field: 'body.user' } });
  });
});

describe('st2\'s prefixes reach no route with a weaker check', () => {
  it('gives an observer\'s token, under every prefix and spelling of every route it may not call, nothing but 403, 404 or 400', async () => {
    const { token } = await tokenFor(stack.keys.observer.key);
    const stronger = listRouteAccess(stack.api.app).filter((route) => !['public', 'self', 'read', 'execution-read', 'datastore-read'].includes(route.access));
    expect(stronger.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const route of stronger) {
      const path = route.url.replace(':id', stack.executionId).replace(':ref', 'core.local').replace(':name', stack.secretName).replace(':runner', 'r1').replace('*', 'hooks/x');
      const prefixes = [{ how: 'as registered', path }, ...st2Aliases(path)];
      for (const prefix of prefixes) {
        for (const spelling of [prefix, ...pathSpellings(prefix.path)]) {
          const body = route.method === 'POST' || route.method === 'PUT' ? {} : undefined;
          const response = await call(route.method, spelling.path, { 'x-auth-token': token }, body);
          if (![400, 403, 404].includes(response.status)) problems.push(`${route.method} ${spelling.path} (${prefix.how}, ${spelling.how}): ${response.status} ${response.body.slice(0, 120)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect((await stack.store.executions.get(stack.executionId))?.status).toBe('scheduled');
  }, 120_000);

  it('decides an alias exactly as the route it names: the same status for every role', async () => {
    for (const role of ['observer', 'operator', 'runner'] as const) {
      for (const [canonical, alias] of [['/api/v1/executions', '/v1/executions'], ['/api/v1/apikeys', '/api/apikeys'], ['/api/v1/stream', '/stream/v1/stream'], ['/api/v1/runners', '/v1/runners']]) {
        const headers = { 'st2-api-key': stack.keys[role].key };
        expect((await call('GET', alias!, headers)).status, `${role} ${alias}`).toBe((await call('GET', canonical!, headers)).status);
      }
    }
  });
});

describe('credentials are never logged', () => {
  it('leaves tokens and keys out of the log of `packrun up` at trace level, in query strings, headers and Basic auth', async () => {
    const home = await homeWithPacks(['core'], { PACKRUN_API_PORT: String(await freePort()), PACKRUN_LOG_LEVEL: 'trace' });
    const server = startPackrun(['up'], home.env);
    try {
      await server.waitForOutput(/packrun is up/);
      const url = new URL(`http://127.0.0.1:${home.env['PACKRUN_API_PORT']}`);
      const key = (await readFile(path.join(home.home, 'secrets', 'cli-api-key'), 'utf8')).trim();
      const minted = await rawRequest(url, { method: 'POST', path: '/auth/tokens', headers: basic('admin', key), body: {} });
      const token = (JSON.parse(minted.body) as { token: string }).token;
      const requests: Array<[string, Record<string, string>]> = [
        [`/api/v1/executions?x-auth-token=${token}`, {}],
        [`/v1/executions?limit=1&st2-api-key=${key}`, {}],
        [`/api/v1/executions?%78-auth-token=${token}`, {}],
        [`/api/v1/stream?api_key=${key}`, {}],
        [`/api/v1/nothing?x-auth-token=${token}`, {}],
        [`/api/v1/executions?x-auth-token=${token}x`, {}],
        ['/api/v1/executions', { 'x-auth-token': token }],
        ['/api/v1/executions', { 'st2-api-key': key, 'x-api-key': key }],
      ];
      for (const [path, headers] of requests) expect((await rawRequest(url, { method: 'GET', path, headers })).status, path).toBeLessThan(500);
      // The child's log reaches us through a pipe: wait for the completion line of every request
      // (the event stream, cut by the client, completes later or never).
      await retryUntil(() => server.output().split('"msg":"request completed"').length - 1 >= requests.length, { withinMs: 10_000, what: 'the request log' });
      const log = server.output();
      expect(log).toContain('authentication token created');
      expect(log).toContain('"url":"/api/v1/executions?x-auth-token=[redacted]"');
      for (const secret of [token, key, Buffer.from(`admin:${key}`).toString('base64')]) expect(log).not.toContain(secret);
    } finally {
      server.signal('SIGTERM');
      await server.exited;
      await rm(home.home, { recursive: true, force: true });
    }
  }, 120_000);
});
