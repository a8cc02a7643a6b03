import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyRoles, type ApiKeyRole } from '@packrun/core';
import { createApiKey, listRouteAccess } from '@packrun/api';
import { insertExecution, rawRequest, startAuthzStack, type AuthzStack, type RawResponse } from './authz-fixture.ts';

/**
 * The permission matrix of docs/api.md, written out by hand: for each route a request it would
 * accept and the roles that may make it. Every other role gets 403 API_ROLE_FORBIDDEN. A route
 * the app registers without a row here fails the first test, so the table keeps up.
 */
let stack: AuthzStack;
/** Taken and completed by a runner of the runner key: the runner key may see it. */
let runnersExecution: string;
let canceledExecution: string;

const everyone: readonly ApiKeyRole[] = apiKeyRoles;
const readers: readonly ApiKeyRole[] = ['system_admin', 'admin', 'operator', 'observer'];
const operators: readonly ApiKeyRole[] = ['system_admin', 'admin', 'operator'];
const admins: readonly ApiKeyRole[] = ['system_admin', 'admin'];
const runners: readonly ApiKeyRole[] = ['system_admin', 'admin', 'runner'];

interface Row {
  route: string;
  path: (role: ApiKeyRole) => string;
  body?: unknown;
  allowed: readonly ApiKeyRole[];
}

const at = (path: string) => () => path;
/** A runner key's runner ids start with its key id; admin keys may use any. */
const runnerPath = (what: string) => (role: ApiKeyRole) => `/api/v1/runners/${role === 'runner' ? `${stack.keys.runner.id}.matrix` : 'matrix'}/${what}`;

function rows(): Row[] {
  return [
    { route: 'GET /api/v1/health', path: at('/api/v1/health'), allowed: everyone },
    { route: 'GET /api/v1/version', path: at('/api/v1/version'), allowed: readers },
    { route: 'GET /api/v1/sandbox', path: at('/api/v1/sandbox'), allowed: readers },
    { route: 'GET /api/v1/openapi.json', path: at('/api/v1/openapi.json'), allowed: everyone },
    { route: 'GET /api/v1/ready', path: at('/api/v1/ready'), allowed: readers },
    { route: 'GET /api/v1/whoami', path: at('/api/v1/whoami'), allowed: everyone },
    { route: 'GET /api/v1/user', path: at('/api/v1/user'), allowed: everyone },
    // Every key may mint a token for itself: the token has the key's role, no more.
    { route: 'POST /auth/v1/tokens', path: at('/auth/v1/tokens'), body: {}, allowed: everyone },
    { route: 'POST /auth/v1/tokens/validate', path: at('/auth/v1/tokens/validate'), body: { token: 'nothing-here' }, allowed: everyone },
    { route: 'POST /api/v1/executions', path: at('/api/v1/executions'), body: { action: 'core.local', parameters: { cmd: 'true' } }, allowed: operators },
    { route: 'GET /api/v1/executions', path: at('/api/v1/executions'), allowed: readers },
    // An empty body fails validation: an admin gets 400, after authorization, and nothing is purged.
    { route: 'POST /api/v1/executions/purge', path: at('/api/v1/executions/purge'), body: {}, allowed: admins },
    { route: 'GET /api/v1/executions/:id', path: () => `/api/v1/executions/${runnersExecution}`, allowed: everyone },
    // Not a workflow, and already canceled: an allowed role gets 409, after authorization.
    { route: 'PUT /api/v1/executions/:id', path: () => `/api/v1/executions/${canceledExecution}`, body: { status: 'pausing' }, allowed: operators },
    { route: 'DELETE /api/v1/executions/:id', path: () => `/api/v1/executions/${canceledExecution}`, allowed: operators },
    { route: 'GET /api/v1/executions/:id/children', path: () => `/api/v1/executions/${runnersExecution}/children`, allowed: everyone },
    { route: 'POST /api/v1/executions/:id/re_run', path: () => `/api/v1/executions/${canceledExecution}/re_run`, body: {}, allowed: operators },
    { route: 'GET /api/v1/executions/:id/output', path: () => `/api/v1/executions/${runnersExecution}/output`, allowed: everyone },
    { route: 'GET /api/v1/executions/:id/result', path: () => `/api/v1/executions/${runnersExecution}/result`, allowed: everyone },
    { route: 'GET /stream/v1/executions/:id/output', path: () => `/stream/v1/executions/${runnersExecution}/output`, allowed: everyone },
    { route: 'GET /api/v1/runnertypes', path: at('/api/v1/runnertypes'), allowed: readers },
    { route: 'GET /api/v1/runnertypes/:name', path: at('/api/v1/runnertypes/local-shell-cmd'), allowed: readers },
    { route: 'GET /api/v1/stream', path: at('/api/v1/stream'), allowed: readers },
    { route: 'GET /api/v1/inquiries', path: at('/api/v1/inquiries'), allowed: readers },
    { route: 'GET /api/v1/inquiries/:id', path: at('/api/v1/inquiries/nothing-here'), allowed: readers },
    { route: 'PUT /api/v1/inquiries/:id', path: at('/api/v1/inquiries/nothing-here'), body: {}, allowed: operators },
    { route: 'GET /api/v1/actions', path: at('/api/v1/actions'), allowed: readers },
    { route: 'GET /api/v1/actions/:ref', path: at('/api/v1/actions/core.local'), allowed: readers },
    { route: 'GET /api/v1/actions/views/entry_point/:ref', path: at('/api/v1/actions/views/entry_point/core.echo'), allowed: readers },
    { route: 'GET /api/v1/policies', path: at('/api/v1/policies'), allowed: readers },
    { route: 'GET /api/v1/policies/:ref', path: at('/api/v1/policies/core.none'), allowed: readers },
    { route: 'GET /api/v1/packs', path: at('/api/v1/packs'), allowed: readers },
    { route: 'GET /api/v1/packs/:ref', path: at('/api/v1/packs/core'), allowed: readers },
    // Bodies and queries that fail validation: an allowed role gets 400, which comes after authorization.
    { route: 'POST /api/v1/packs/install', path: at('/api/v1/packs/install'), body: {}, allowed: admins },
    { route: 'POST /api/v1/packs/uninstall', path: at('/api/v1/packs/uninstall'), body: {}, allowed: admins },
    { route: 'POST /api/v1/packs/upgrade', path: at('/api/v1/packs/upgrade'), body: {}, allowed: admins },
    { route: 'POST /api/v1/packs/upload', path: at('/api/v1/packs/upload'), body: {}, allowed: admins },
    { route: 'GET /api/v1/configs', path: at('/api/v1/configs'), allowed: readers },
    // core has no config: an allowed role gets 404, after authorization.
    { route: 'GET /api/v1/configs/:pack_ref', path: at('/api/v1/configs/core'), allowed: readers },
    // A body that is not an object fails validation: an admin gets 400, and nothing is written.
    { route: 'PUT /api/v1/configs/:pack_ref', path: at('/api/v1/configs/core'), body: [], allowed: admins },
    { route: 'GET /api/v1/config_schemas', path: at('/api/v1/config_schemas'), allowed: readers },
    { route: 'GET /api/v1/config_schemas/:pack_ref', path: at('/api/v1/config_schemas/core'), allowed: readers },
    { route: 'GET /api/v1/keys', path: at('/api/v1/keys'), allowed: readers },
    { route: 'GET /api/v1/keys/:name', path: at('/api/v1/keys/canary-plain'), allowed: readers },
    { route: 'PUT /api/v1/keys/:name', path: at('/api/v1/keys/matrix'), body: { value: 'v', scope: 'user' }, allowed: operators },
    { route: 'DELETE /api/v1/keys/:name', path: at('/api/v1/keys/nothing-here?scope=user'), allowed: operators },
    { route: 'POST /api/v1/runners/:runner/claim', path: runnerPath('claim'), body: { executionId: 'nothing-here' }, allowed: runners },
    { route: 'POST /api/v1/runners/:runner/complete', path: runnerPath('complete'), body: { executionId: 'nothing-here' }, allowed: runners },
    { route: 'POST /api/v1/runners/:runner/release', path: runnerPath('release'), body: { executionId: 'nothing-here' }, allowed: runners },
    { route: 'POST /api/v1/runners/:runner/heartbeat', path: runnerPath('heartbeat'), body: { host: 'matrix', pid: 1, concurrency: 1, running: [] }, allowed: runners },
    // An empty body fails validation: an allowed role gets 400, after authorization.
    { route: 'POST /api/v1/runners/:runner/triggers', path: runnerPath('triggers'), body: {}, allowed: runners },
    { route: 'GET /api/v1/runners', path: at('/api/v1/runners'), allowed: readers },
    { route: 'POST /api/v1/apikeys', path: at('/api/v1/apikeys'), body: { user: 'made-by-matrix', role: 'observer' }, allowed: admins },
    // Every key sees its own user's keys (an admin all of them); nobody gets another's by id or key.
    { route: 'GET /api/v1/apikeys', path: at('/api/v1/apikeys'), allowed: everyone },
    { route: 'GET /api/v1/apikeys/:id_or_key', path: at('/api/v1/apikeys/nothing-here'), allowed: everyone },
    { route: 'PUT /api/v1/apikeys/:id_or_key', path: at('/api/v1/apikeys/nothing-here'), body: { enabled: true }, allowed: admins },
    { route: 'DELETE /api/v1/apikeys/:id_or_key', path: at('/api/v1/apikeys/nothing-here'), allowed: admins },
    { route: 'GET /api/v1/rules', path: at('/api/v1/rules'), allowed: readers },
    { route: 'GET /api/v1/rules/:ref', path: at('/api/v1/rules/core.nothing'), allowed: readers },
    { route: 'POST /api/v1/rules', path: at('/api/v1/rules'), body: {}, allowed: operators },
    { route: 'PUT /api/v1/rules/:ref', path: at('/api/v1/rules/core.nothing'), body: {}, allowed: operators },
    { route: 'DELETE /api/v1/rules/:ref', path: at('/api/v1/rules/core.nothing'), allowed: operators },
    { route: 'GET /api/v1/triggertypes', path: at('/api/v1/triggertypes'), allowed: readers },
    { route: 'GET /api/v1/triggertypes/:ref', path: at('/api/v1/triggertypes/core.st2.webhook'), allowed: readers },
    { route: 'GET /api/v1/triggers', path: at('/api/v1/triggers'), allowed: readers },
    { route: 'GET /api/v1/triggerinstances', path: at('/api/v1/triggerinstances'), allowed: readers },
    { route: 'GET /api/v1/triggerinstances/:id', path: at('/api/v1/triggerinstances/nothing-here'), allowed: readers },
    { route: 'POST /api/v1/triggerinstances/:id/re_emit', path: at('/api/v1/triggerinstances/nothing-here/re_emit'), allowed: operators },
    { route: 'GET /api/v1/ruleenforcements', path: at('/api/v1/ruleenforcements'), allowed: readers },
    { route: 'GET /api/v1/ruleenforcements/:id', path: at('/api/v1/ruleenforcements/nothing-here'), allowed: readers },
    { route: 'GET /api/v1/webhooks', path: at('/api/v1/webhooks'), allowed: readers },
    { route: 'GET /api/v1/webhooks/*', path: at('/api/v1/webhooks/nothing-here'), allowed: readers },
    { route: 'POST /api/v1/webhooks/st2', path: at('/api/v1/webhooks/st2'), body: {}, allowed: operators },
    { route: 'POST /api/v1/webhooks/*', path: at('/api/v1/webhooks/nothing-here'), body: {}, allowed: operators },
    { route: 'GET /api/v1/sensortypes', path: at('/api/v1/sensortypes'), allowed: readers },
    { route: 'GET /api/v1/sensortypes/:ref', path: at('/api/v1/sensortypes/core.nothing'), allowed: readers },
    { route: 'PUT /api/v1/sensortypes/:ref', path: at('/api/v1/sensortypes/core.nothing'), body: { enabled: true }, allowed: operators },
    { route: 'POST /api/v1/sensortypes/:ref/restart', path: at('/api/v1/sensortypes/core.nothing/restart'), allowed: operators },
  ];
}

function callAs(role: ApiKeyRole, method: string, path: string, body?: unknown): Promise<RawResponse> {
  return rawRequest(stack.url, { method, path, headers: { 'x-api-key': stack.keys[role].key }, ...(body === undefined ? {} : { body }) });
}

function verdict(response: RawResponse): string {
  if (response.status === 401) return `unauthenticated (${response.body})`;
  if (response.status !== 403) return 'allowed';
  const code = (JSON.parse(response.body) as { code?: string }).code;
  return code === 'API_ROLE_FORBIDDEN' ? 'refused' : `403 ${code}`;
}

beforeAll(async () => {
  stack = await startAuthzStack();
  runnersExecution = await insertExecution(stack.store);
  const runner = `/api/v1/runners/${stack.keys.runner.id}.setup`;
  expect((await callAs('runner', 'POST', `${runner}/claim`, { executionId: runnersExecution })).status).toBe(200);
  const outcome = { status: 'succeeded', result: { stdout: '', stderr: '' }, durationMs: 1 };
  expect((await callAs('runner', 'POST', `${runner}/complete`, { executionId: runnersExecution, outcome })).status).toBe(204);
  canceledExecution = await insertExecution(stack.store);
  expect((await callAs('operator', 'DELETE', `/api/v1/executions/${canceledExecution}`)).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('role matrix: routes', () => {
  it('has a row for every route the app registers', () => {
    const registered = listRouteAccess(stack.api.app).filter((route) => route.method !== 'HEAD').map((route) => `${route.method} ${route.url}`);
    expect(new Set(rows().map((row) => row.route))).toEqual(new Set(registered));
  });

  it('lets each role call exactly the routes of its permission classes, and refuses the rest with 403 API_ROLE_FORBIDDEN', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const row of rows()) {
      const [method] = row.route.split(' ');
      for (const role of apiKeyRoles) {
        const response = await callAs(role, method!, row.path(role), row.body);
        got.push(`${role} ${row.route}: ${verdict(response)}`);
        want.push(`${role} ${row.route}: ${row.allowed.includes(role) ? 'allowed' : 'refused'}`);
      }
    }
    expect(got).toEqual(want);
  }, 120_000);

  it('names the role and the permission it lacks', async () => {
    const response = await callAs('observer', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' } });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'API_ROLE_FORBIDDEN', details: { role: 'observer', access: 'operate' } });
  });
});

describe('role matrix: datastore', () => {
  const cases: Array<{ what: string; method: string; path: string; body?: unknown; allowed: readonly ApiKeyRole[] }> = [
    { what: 'list system keys', method: 'GET', path: '/api/v1/keys', allowed: readers },
    { what: 'list system keys decrypted', method: 'GET', path: '/api/v1/keys?decrypt=true', allowed: admins },
    { what: 'get a system secret decrypted', method: 'GET', path: '/api/v1/keys/canary-secret?decrypt=true', allowed: admins },
    { what: 'list own user keys', method: 'GET', path: '/api/v1/keys?scope=user', allowed: readers },
    { what: 'list own user keys decrypted', method: 'GET', path: '/api/v1/keys?scope=user&decrypt=true', allowed: operators },
    { what: 'get own user secret decrypted', method: 'GET', path: '/api/v1/keys/canary-user-secret?scope=user&decrypt=true', allowed: operators },
    { what: "list another user's keys", method: 'GET', path: '/api/v1/keys?scope=user&user=someone-else', allowed: admins },
    { what: 'write a system key', method: 'PUT', path: '/api/v1/keys/matrix', body: { value: 'v', scope: 'system' }, allowed: admins },
    { what: 'write an own user key', method: 'PUT', path: '/api/v1/keys/matrix', body: { value: 'v', scope: 'user' }, allowed: operators },
    { what: "write another user's key", method: 'PUT', path: '/api/v1/keys/matrix', body: { value: 'v', scope: 'user', user: 'someone-else' }, allowed: admins },
    { what: 'delete a system key', method: 'DELETE', path: '/api/v1/keys/nothing-here?scope=system', allowed: admins },
  ];

  it('decides scope, owner and decryption by role', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const item of cases) {
      for (const role of apiKeyRoles) {
        got.push(`${role} ${item.what}: ${verdict(await callAs(role, item.method, item.path, item.body))}`);
        want.push(`${role} ${item.what}: ${item.allowed.includes(role) ? 'allowed' : 'refused'}`);
      }
    }
    expect(got).toEqual(want);
  });

  it('shows a secret in clear only to the roles that may decrypt it', async () => {
    const masked = await callAs('operator', 'GET', '/api/v1/keys/canary-secret');
    expect(JSON.parse(masked.body)).toMatchObject({ value: '********', secret: true });
    const clear = await callAs('admin', 'GET', '/api/v1/keys/canary-secret?decrypt=true');
    expect(JSON.parse(clear.body)).toMatchObject({ value: stack.secretValue });
    const own = await callAs('operator', 'GET', '/api/v1/keys/canary-user-secret?scope=user&decrypt=true');
    expect(JSON.parse(own.body)).toMatchObject({ value: stack.userSecretValue, user: 'user-operator' });
  });
});

describe('role matrix: API keys', () => {
  it('lets system_admin create keys of every role and admin only those below admin', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const caller of ['system_admin', 'admin'] as const) {
      for (const role of apiKeyRoles) {
        const response = await callAs(caller, 'POST', '/api/v1/apikeys', { user: `made-by-${caller}`, role });
        got.push(`${caller} creates ${role}: ${response.status === 201 ? `created ${(JSON.parse(response.body) as { role: string }).role}` : verdict(response)}`);
        want.push(`${caller} creates ${role}: ${caller === 'system_admin' || !admins.includes(role) ? `created ${role}` : 'refused'}`);
      }
    }
    expect(got).toEqual(want);
  });

  it('lets system_admin revoke keys of every role and admin only those below admin', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const caller of ['system_admin', 'admin'] as const) {
      for (const role of apiKeyRoles) {
        const { record } = await createApiKey(stack.store, { user: 'to-revoke', role });
        const response = await callAs(caller, 'DELETE', `/api/v1/apikeys/${record.id}`);
        got.push(`${caller} revokes ${role}: ${response.status === 204 ? 'revoked' : verdict(response)}`);
        want.push(`${caller} revokes ${role}: ${caller === 'system_admin' || !admins.includes(role) ? 'revoked' : 'refused'}`);
      }
    }
    expect(got).toEqual(want);
  });

  it('creates an observer key when no role is asked, and lists every key with its role', async () => {
    const created = await callAs('admin', 'POST', '/api/v1/apikeys', { user: 'no-role-asked' });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.body)).toMatchObject({ user: 'no-role-asked', role: 'observer' });
    const listed = JSON.parse((await callAs('admin', 'GET', '/api/v1/apikeys')).body) as Array<Record<string, unknown>>;
    expect(listed.find((key) => key['id'] === stack.keys.runner.id)).toMatchObject({ role: 'runner', user: 'user-runner' });
    for (const key of listed) {
      expect(apiKeyRoles).toContain(key['role']);
      expect(key).not.toHaveProperty('keyHash');
    }
  });

  it('tells each key who it is', async () => {
    const runner = JSON.parse((await callAs('runner', 'GET', '/api/v1/whoami')).body) as Record<string, unknown>;
    expect(runner).toEqual({
      user: 'user-runner',
      role: 'runner',
      keyId: stack.keys.runner.id,
      access: ['self', 'execution-read', 'datastore-read', 'datastore-write', 'runner'],
      runnerIdPrefix: `${stack.keys.runner.id}.`,
    });
    const observer = JSON.parse((await callAs('observer', 'GET', '/api/v1/whoami')).body) as Record<string, unknown>;
    expect(observer['access']).toEqual(['self', 'read', 'execution-read', 'datastore-read']);
  });
});
