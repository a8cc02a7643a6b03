import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@packrun/api';
import type { ApiKeyRole } from '@packrun/core';
import { insertExecution, rawRequest, startAuthzStack, type AuthzStack, type RawResponse } from './authz-fixture.ts';

/**
 * Keys used beyond their role: a runner key minting keys, reading secrets or finishing another
 * runner's execution; an observer decrypting; an admin minting a system_admin key.
 */
let stack: AuthzStack;

beforeAll(async () => {
  stack = await startAuthzStack();
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

function call(key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(stack.url, { method, path, headers: { 'x-api-key': key, ...headers }, ...(body === undefined ? {} : { body }) });
}

function as(role: ApiKeyRole, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse> {
  return call(stack.keys[role].key, method, path, body, headers);
}

function codeOf(response: RawResponse): string | undefined {
  return (JSON.parse(response.body) as { code?: string }).code;
}

const outcome = { status: 'succeeded', result: { stdout: 'done', stderr: '' }, durationMs: 5 };

describe('a runner key', () => {
  it('cannot create an API key', async () => {
    const before = await stack.store.apiKeys.count({});
    for (const role of [undefined, 'system_admin', 'admin', 'runner'] as const) {
      const response = await as('runner', 'POST', '/api/v1/apikeys', { user: 'intruder', ...(role ? { role } : {}) });
      expect(response.status).toBe(403);
      expect(codeOf(response)).toBe('API_ROLE_FORBIDDEN');
    }
    expect(await stack.store.apiKeys.count({})).toBe(before);
  });

  it('cannot read decrypted secrets, nor any datastore key outside an execution its runner holds', async () => {
    const notHeld = await insertExecution(stack.store);
    const attempts = [
      { path: '/api/v1/keys?decrypt=true' },
      { path: `/api/v1/keys/${stack.secretName}?decrypt=true` },
      { path: `/api/v1/keys/${stack.secretName}` },
      { path: `/api/v1/keys?scope=user&user=user-system_admin&decrypt=true` },
      { path: '/api/v1/keys?decrypt=true', headers: { 'x-packrun-execution': notHeld } },
      { path: `/api/v1/keys/${stack.secretName}?decrypt=true`, headers: { 'x-packrun-execution': 'nothing-here' } },
    ];
    for (const attempt of attempts) {
      const response = await as('runner', 'GET', attempt.path, undefined, attempt.headers);
      expect(response.status, `${attempt.path} ${JSON.stringify(attempt.headers ?? {})}`).toBe(403);
      expect(['API_ROLE_FORBIDDEN', 'API_RUNNER_FORBIDDEN']).toContain(codeOf(response));
      expect(response.body).not.toContain(stack.secretValue);
      expect(response.body).not.toContain(stack.userSecretValue);
    }
    const write = await as('runner', 'PUT', `/api/v1/keys/${stack.secretName}`, { value: 'overwritten' });
    expect(write.status).toBe(403);
    expect((await stack.keyValues.get(stack.secretName, { scope: 'system', decrypt: true }))?.value).toBe(stack.secretValue);
  });

  it("cannot complete, release, beat for or read another runner's execution", async () => {
    const { key: otherKey, record: other } = await createApiKey(stack.store, { user: 'runner-b', role: 'runner' });
    const runnerA = `${stack.keys.runner.id}.host-a`;
    const executionId = await insertExecution(stack.store, { cmd: 'secret-work' });
    expect(JSON.parse((await as('runner', 'POST', `/api/v1/runners/${runnerA}/heartbeat`, { host: 'a', pid: 1, concurrency: 1, running: [] })).body)).toEqual({ cancel: [] });
    const claim = await as('runner', 'POST', `/api/v1/runners/${runnerA}/claim`, { executionId });
    expect(JSON.parse(claim.body)).toMatchObject({ decision: 'run' });

    // Under runner A's own id: refused, whatever the route.
    for (const [what, body] of [
      ['complete', { executionId, outcome }],
      ['release', { executionId }],
      ['heartbeat', { host: 'b', pid: 2, concurrency: 1, running: [] }],
      ['claim', { executionId }],
    ] as const) {
      const response = await call(otherKey, 'POST', `/api/v1/runners/${runnerA}/${what}`, body);
      expect(response.status, what).toBe(403);
      expect(codeOf(response)).toBe('API_RUNNER_FORBIDDEN');
    }
    // Under its own id: the execution is not its runner's, so nothing changes.
    const runnerB = `${other.id}.host-b`;
    expect((await call(otherKey, 'POST', `/api/v1/runners/${runnerB}/complete`, { executionId, outcome })).status).toBe(204);
    expect(JSON.parse((await call(otherKey, 'POST', `/api/v1/runners/${runnerB}/claim`, { executionId })).body)).toMatchObject({ decision: 'skip' });
    for (const path of [`/api/v1/executions/${executionId}`, `/api/v1/executions/${executionId}/output`, `/api/v1/executions/${executionId}/result`, `/stream/v1/executions/${executionId}/output`]) {
      const response = await call(otherKey, 'GET', path);
      expect(response.status, path).toBe(403);
      expect(codeOf(response)).toBe('API_RUNNER_FORBIDDEN');
    }
    expect((await call(otherKey, 'GET', '/api/v1/keys?decrypt=true', undefined, { 'x-packrun-execution': executionId })).status).toBe(403);
    expect(await stack.store.executions.get(executionId)).toMatchObject({ status: 'running', runnerId: runnerA });

    // Runner A itself reaches the datastore for it, as its user, and finishes it.
    const secret = await as('runner', 'GET', `/api/v1/keys/${stack.secretName}?decrypt=true`, undefined, { 'x-packrun-execution': executionId });
    expect(JSON.parse(secret.body)).toMatchObject({ value: stack.secretValue });
    const own = await as('runner', 'GET', `/api/v1/keys/${stack.userSecretName}?scope=user&decrypt=true`, undefined, { 'x-packrun-execution': executionId });
    expect(JSON.parse(own.body)).toMatchObject({ value: stack.userSecretValue, user: 'user-operator' });
    const elsewhere = await as('runner', 'GET', '/api/v1/keys?scope=user&user=user-admin', undefined, { 'x-packrun-execution': executionId });
    expect(elsewhere.status).toBe(403);
    expect((await as('runner', 'POST', `/api/v1/runners/${runnerA}/complete`, { executionId, outcome })).status).toBe(204);
    expect(await stack.store.executions.get(executionId)).toMatchObject({ status: 'succeeded', runnerId: runnerA });
    // Once it is over, the datastore is closed to it again.
    const after = await as('runner', 'GET', `/api/v1/keys/${stack.secretName}?decrypt=true`, undefined, { 'x-packrun-execution': executionId });
    expect(after.status).toBe(403);
  });
});

describe('an observer key', () => {
  it('never decrypts, and cannot start, cancel or change anything', async () => {
    for (const path of ['/api/v1/keys?decrypt=true', `/api/v1/keys/${stack.secretName}?decrypt=true`, '/api/v1/keys?scope=user&decrypt=true', `/api/v1/keys/${stack.userSecretName}?scope=user&decrypt=true`]) {
      const response = await as('observer', 'GET', path);
      expect(response.status, path).toBe(403);
      expect(codeOf(response)).toBe('API_ROLE_FORBIDDEN');
      expect(response.body).not.toContain(stack.secretValue);
      expect(response.body).not.toContain(stack.userSecretValue);
    }
    const changes = [
      { method: 'POST', path: '/api/v1/executions', body: { action: 'core.local', parameters: { cmd: 'true' } } },
      { method: 'DELETE', path: `/api/v1/executions/${stack.executionId}` },
      { method: 'POST', path: `/api/v1/executions/${stack.executionId}/re_run`, body: {} },
      { method: 'PUT', path: `/api/v1/executions/${stack.executionId}`, body: { status: 'pausing' } },
      { method: 'PUT', path: '/api/v1/keys/mine', body: { value: 'v', scope: 'user' } },
      { method: 'POST', path: `/api/v1/runners/r/claim`, body: { executionId: stack.executionId } },
    ];
    for (const change of changes) {
      const response = await as('observer', change.method, change.path, change.body);
      expect(response.status, change.path).toBe(403);
    }
    expect(await stack.store.executions.get(stack.executionId)).toMatchObject({ status: 'scheduled' });
  });
});

describe('an admin key', () => {
  it('cannot create a system_admin or admin key, nor revoke one', async () => {
    for (const role of ['system_admin', 'admin'] as const) {
      const response = await as('admin', 'POST', '/api/v1/apikeys', { user: 'escalated', role });
      expect(response.status, role).toBe(403);
      expect(codeOf(response)).toBe('API_ROLE_FORBIDDEN');
    }
    expect(await stack.store.apiKeys.count({ user: 'escalated' })).toBe(0);
    const revoke = await as('admin', 'DELETE', `/api/v1/apikeys/${stack.keys.system_admin.id}`);
    expect(revoke.status).toBe(403);
    expect(await stack.store.apiKeys.get(stack.keys.system_admin.id)).toBeDefined();
  });
});

describe('a key below admin', () => {
  it('cannot purge executions, however it spells the request', async () => {
    const victim = await insertExecution(stack.store);
    await stack.store.executions.update({ id: victim }, { set: { status: 'succeeded', endedAt: new Date().toISOString() } });
    const future = new Date(Date.now() + 60_000).toISOString();
    for (const role of ['operator', 'observer', 'runner'] as const) {
      for (const path of ['/api/v1/executions/purge', '/api/v1/executions//purge', '/api/v1/executions/%70urge', '/api/v1/executions/x/../purge']) {
        const response = await as(role, 'POST', path, { timestamp: future });
        // A spelling that routes to the purge is refused by role; one that routes nowhere is 404.
        expect([403, 404], `${role} ${path}`).toContain(response.status);
        if (path === '/api/v1/executions/purge' || response.status === 403) expect(codeOf(response), `${role} ${path}`).toBe('API_ROLE_FORBIDDEN');
      }
    }
    expect(await stack.store.executions.get(victim)).toBeDefined();
  });
});

describe('a retried create', () => {
  it("never hands another user's execution to a caller naming its id", async () => {
    const id = `mine-${Date.now()}`;
    const created = await as('operator', 'POST', '/api/v1/executions', { id, action: 'core.local', parameters: { cmd: 'echo operator-secret-marker' } });
    expect(created.status, created.body).toBe(201);
    const again = await as('operator', 'POST', '/api/v1/executions', { id, action: 'core.local', parameters: { cmd: 'echo operator-secret-marker' } });
    expect(again.status).toBe(200);
    for (const role of ['admin', 'system_admin'] as const) {
      const stolen = await as(role, 'POST', '/api/v1/executions', { id, action: 'core.local', parameters: { cmd: 'true' } });
      expect(stolen.status, role).toBe(409);
      expect(codeOf(stolen)).toBe('EXECUTION_EXISTS');
      expect(stolen.body).not.toContain('operator-secret-marker');
    }
    expect(await stack.store.executions.count({ id })).toBe(1);
  });
});

describe('an operator key', () => {
  it("cannot write system-scoped keys, decrypt system secrets or reach another user's keys", async () => {
    const attempts = [
      { method: 'PUT', path: `/api/v1/keys/${stack.secretName}`, body: { value: 'overwritten', scope: 'system' } },
      { method: 'DELETE', path: `/api/v1/keys/${stack.secretName}?scope=system` },
      { method: 'GET', path: `/api/v1/keys/${stack.secretName}?decrypt=true` },
      { method: 'GET', path: `/api/v1/keys/${stack.userSecretName}?scope=user&user=user-admin&decrypt=true` },
      { method: 'PUT', path: '/api/v1/keys/planted', body: { value: 'v', scope: 'user', user: 'user-admin' } },
    ];
    for (const attempt of attempts) {
      const response = await as('operator', attempt.method, attempt.path, attempt.body);
      expect(response.status, `${attempt.method} ${attempt.path}`).toBe(403);
      expect(response.body).not.toContain(stack.secretValue);
    }
    expect((await stack.keyValues.get(stack.secretName, { scope: 'system', decrypt: true }))?.value).toBe(stack.secretValue);
  });
});
