import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRouteAccess } from '@packrun/api';
import { injected, rawRequest, startAuthzStack, type AuthzStack, type RawResponse } from './authz-fixture.ts';
import { pathSpellings, st2Aliases } from './path-spellings.ts';

/**
 * Every route the real app registers (the API's, the rules engine's, the sensor container's and
 * StackStorm's auth), asked without a key under every other spelling of its path and of each
 * prefix StackStorm's clients derive for it (/v1, /api, /auth, /stream), over a real socket and
 * through inject(): only a public route ever answers 2xx, and no answer carries anything planted.
 */
let stack: AuthzStack;

beforeAll(async () => {
  stack = await startAuthzStack();
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** A request each route would accept, so that only authorization stands in the way. */
function requestFor(method: string, url: string): { path: string; body?: unknown } {
  const path = url
    .replace(':id', stack.executionId)
    .replace(':ref', 'core.local')
    .replace(':name', stack.secretName)
    .replace(':runner', 'r1')
    .replace('*', 'hooks/x');
  const bodies: Record<string, unknown> = {
    'POST /api/v1/apikeys': { user: 'intruder' },
    'POST /api/v1/executions': { action: 'core.local', parameters: { cmd: 'true' } },
    'POST /api/v1/executions/:id/re_run': {},
    'PUT /api/v1/executions/:id': { status: 'pausing' },
    'POST /api/v1/executions/purge': { older_than_days: 0.0001 },
    'PUT /api/v1/keys/:name': { value: 'overwritten' },
    'POST /api/v1/runners/:runner/claim': { executionId: stack.executionId },
    'POST /api/v1/runners/:runner/complete': { executionId: stack.executionId },
    'POST /api/v1/runners/:runner/release': { executionId: stack.executionId },
    'POST /api/v1/runners/:runner/heartbeat': { host: 'h', pid: 1, concurrency: 1, running: [] },
    'POST /api/v1/packs/install': { packs: ['/nonexistent'] },
    'POST /api/v1/webhooks/st2': { trigger: 'core.st2.webhook', payload: {} },
  };
  const query = url.startsWith('/api/v1/keys') && method === 'GET' ? '?decrypt=true' : '';
  const body = bodies[`${method} ${url}`] ?? (method === 'POST' || method === 'PUT' ? {} : undefined);
  return { path: `${path}${query}`, ...(body === undefined ? {} : { body }) };
}

/** A 2xx is acceptable only from a public route: the liveness answer or the API description. */
function isPublicAnswer(response: RawResponse): boolean {
  if (response.body === '') return true;
  try {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    return body['status'] === 'ok' || typeof body['openapi'] === 'string';
  } catch {
    return false;
  }
}

type Send = (options: { method: string; path: string; headers?: Record<string, string>; body?: unknown }) => Promise<RawResponse>;

async function sweep(send: Send): Promise<string[]> {
  const problems: string[] = [];
  const routes = listRouteAccess(stack.api.app).filter((route) => route.access !== 'public');
  expect(routes.length).toBeGreaterThan(40);
  for (const route of routes) {
    const { path, body } = requestFor(route.method, route.url);
    const [bare, query = ''] = path.split('?');
    const suffix = query ? `?${query}` : '';
    const prefixes = [{ how: 'as registered', path: bare! }, ...st2Aliases(bare!)];
    const spellings = prefixes.flatMap((prefix) => [prefix, ...pathSpellings(prefix.path).map((spelling) => ({ how: `${prefix.how}, ${spelling.how}`, path: spelling.path }))]);
    for (const spelling of spellings) {
      const response = await send({ method: route.method, path: `${spelling.path}${suffix}`, ...(body === undefined ? {} : { body }) });
      const where = `${route.method} ${spelling.path}${suffix} (${route.url}, ${spelling.how}): ${response.status} ${response.body.slice(0, 200)}`;
      if (response.status < 300 && !isPublicAnswer(response)) problems.push(`answered without a key: ${where}`);
      if (![200, 400, 401, 404].includes(response.status)) problems.push(`unexpected status: ${where}`);
      if (stack.canaries.some((canary) => response.body.includes(canary))) problems.push(`leaked a canary: ${where}`);
    }
    // A key under a query parameter the route does not take is no key at all (st2's names are
    // case-sensitive, and Packrun's api_key is taken only where the route says so).
    for (const name of ['apikey', 'key', 'x-api-key', 'X-Api-Key', 'token', 'st2_api_key', 'api-key', 'St2-Api-Key', 'X-Auth-Token', 'x_auth_token', 'auth-token', 'auth_token', ...(route.keyInQuery ? [] : ['api_key'])]) {
      const separator = suffix ? '&' : '?';
      const withKey = `${bare}${suffix}${separator}${encodeURIComponent(name)}=${encodeURIComponent(stack.keys.system_admin.key)}`;
      const response = await send({ method: route.method, path: withKey, ...(body === undefined ? {} : { body }) });
      if (response.status !== 401) problems.push(`query parameter ${name} was taken as a key: ${route.method} ${route.url} answered ${response.status} ${response.body.slice(0, 200)}`);
    }
  }
  return problems;
}

async function unchanged(): Promise<void> {
  expect(await stack.store.apiKeys.count({})).toBe(5);
  expect(await stack.store.executions.count({})).toBe(1);
  expect((await stack.store.executions.get(stack.executionId))?.status).toBe('scheduled');
  expect((await stack.keyValues.get(stack.secretName, { scope: 'system', decrypt: true }))?.value).toBe(stack.secretValue);
  expect(await stack.store.runners.count({ host: 'h' })).toBe(0);
  expect(await stack.store.rules.count({})).toBe(0);
  expect(await stack.store.authTokens.count({})).toBe(0);
}

describe('every route, every spelling, no key', () => {
  it('lists the routes of the API, the rules engine and the sensor container, each with its access', () => {
    const urls = listRouteAccess(stack.api.app).map((route) => `${route.method} ${route.url}`);
    for (const expected of ['GET /api/v1/keys', 'POST /api/v1/apikeys', 'POST /api/v1/rules', 'POST /api/v1/webhooks/*', 'POST /api/v1/sensortypes/:ref/restart', 'HEAD /api/v1/keys/:name']) {
      expect(urls).toContain(expected);
    }
  });

  it('answers nothing but 401, 404 or 400 over a real socket, and leaks nothing', async () => {
    expect(await sweep((options) => rawRequest(stack.url, options))).toEqual([]);
    await unchanged();
  }, 300_000);

  it('answers nothing but 401, 404 or 400 through inject(), and leaks nothing', async () => {
    expect(await sweep((options) => injected(stack.api, options))).toEqual([]);
    await unchanged();
  }, 300_000);

  it('answers an unknown route 404 without naming anything but the path asked for', async () => {
    for (const path of ['/api/v1/nothing', '/%61pi/v1/nothing', '/api/v2/keys', '/v1/nothing', '/auth/nothing', '/stream/v1/nothing', '/nothing']) {
      const response = await rawRequest(stack.url, { method: 'GET', path });
      expect(response.status).toBe(404);
      const message = `no route GET ${path}`;
      expect(JSON.parse(response.body)).toEqual({ code: 'ROUTE_NOT_FOUND', message, faultstring: message });
    }
    // `/` is the web UI's page (or, with no UI built, says so): it holds no data of the API.
    const root = await rawRequest(stack.url, { method: 'GET', path: '/' });
    if (root.status === 200) expect(root.contentType).toBe('text/html; charset=utf-8');
    else expect(JSON.parse(root.body)).toMatchObject({ code: 'WEB_UI_NOT_BUILT' });
  });
});
