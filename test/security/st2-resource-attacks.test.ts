import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRole } from '@packrun/core';
import { rawRequest, startAuthzStack, type AuthzStack, type RawResponse } from './authz-fixture.ts';

/**
 * The attacks on StackStorm's shapes of the datastore, API key, trigger instance and pack routes:
 * what st2client sends (scopes by either name, `user` implying the user scope, `scope=all`, keys
 * named by the key itself, pack sources as st2's list items) must not reach more than the role's
 * rules in packages/api/src/auth allow.
 */
let stack: AuthzStack;

beforeAll(async () => {
  stack = await startAuthzStack();
}, 60_000);

afterAll(async () => {
  await stack?.close();
  if (stack) await rm(stack.home.home, { recursive: true, force: true });
});

function callAs(role: ApiKeyRole, method: string, path: string, body?: unknown): Promise<RawResponse> {
  return rawRequest(stack.url, { method, path, headers: { 'st2-api-key': stack.keys[role].key }, ...(body === undefined ? {} : { body }) });
}

function codeOf(response: RawResponse): string | undefined {
  return (JSON.parse(response.body) as { code?: string }).code;
}

describe('datastore keys in st2\'s shape', () => {
  it('refuses an observer every write, whatever the scope is called', async () => {
    for (const scope of ['system', 'st2kv.system', 'user', 'st2kv.user']) {
      const response = await callAs('observer', 'PUT', '/api/v1/keys/attack', { name: 'attack', value: 'x', scope });
      expect(response.status, scope).toBe(403);
      expect(codeOf(response)).toBe('API_ROLE_FORBIDDEN');
    }
    expect((await stack.keyValues.get('attack', { scope: 'system' }))).toBeUndefined();
  });

  it('refuses an operator another user\'s user-scoped key, however it is named (scope, st2kv.user, user alone)', async () => {
    const other = stack.keys.admin.user;
    for (const query of [`scope=user&user=${other}`, `scope=st2kv.user&user=${other}`, `user=${other}`, `scope=system&user=${other}`]) {
      const read = await callAs('operator', 'GET', `/api/v1/keys/${stack.userSecretName}?${query}`);
      expect(read.status, query).toBe(403);
      expect(read.body).not.toContain(stack.userSecretValue);
      const listed = await callAs('operator', 'GET', `/api/v1/keys?${query}`);
      expect(listed.status, query).toBe(403);
      const removed = await callAs('operator', 'DELETE', `/api/v1/keys/${stack.userSecretName}?${query}`);
      expect(removed.status, query).toBe(403);
    }
    const written = await callAs('operator', 'PUT', `/api/v1/keys/${stack.userSecretName}`, { value: 'overwritten', scope: 'st2kv.user', user: other });
    expect(written.status).toBe(403);
    expect((await stack.keyValues.get(stack.userSecretName, { scope: 'user', user: other, decrypt: true }))?.value).toBe(stack.userSecretValue);
  });

  it('scope=all lists the system scope and the caller\'s own user scope, never another user\'s keys', async () => {
    await stack.keyValues.set('only-admins', 'admin-private-value', { scope: 'user', user: stack.keys.admin.user });
    const listed = await callAs('operator', 'GET', '/api/v1/keys?scope=all&limit=-1');
    expect(listed.status).toBe(200);
    const pairs = JSON.parse(listed.body) as Array<{ name: string; scope: string; user?: string }>;
    expect(pairs.filter((pair) => pair.scope === 'st2kv.user').every((pair) => pair.user === stack.keys.operator.user)).toBe(true);
    expect(pairs.map((pair) => pair.name)).toContain('canary-plain');
    expect(listed.body).not.toContain('admin-private-value');
    // Secrets listed, but masked: the operator asked for no decryption.
    expect(listed.body).not.toContain(stack.secretValue);
    expect(listed.body).not.toContain(stack.userSecretValue);
  });

  it('refuses a non-admin the decryption of system secrets, by get, by list and by scope=all', async () => {
    for (const role of ['operator', 'observer'] as const) {
      for (const path of [`/api/v1/keys/${stack.secretName}?decrypt=true`, `/api/v1/keys/${stack.secretName}?decrypt=true&scope=st2kv.system`, '/api/v1/keys?decrypt=true', '/api/v1/keys?decrypt=true&scope=all']) {
        const response = await callAs(role, 'GET', path);
        expect(response.status, `${role} ${path}`).toBe(403);
        expect(response.body).not.toContain(stack.secretValue);
      }
    }
  });

  it('refuses a value said to be encrypted elsewhere (st2 key set --encrypted): it would be stored as a secret nobody can read', async () => {
    const response = await callAs('admin', 'PUT', '/api/v1/keys/imported', { name: 'imported', value: 'AAAA', encrypted: true });
    expect(response.status).toBe(400);
    expect(response.body).toContain('body.encrypted');
  });
});

describe('API keys in st2\'s shape', () => {
  it('never answers another user\'s key to a non-admin, by id or by the key itself, and never shows a key or its hash', async () => {
    for (const target of ['admin', 'system_admin', 'runner'] as const) {
      for (const named of [stack.keys[target].id, stack.keys[target].key]) {
        const response = await callAs('operator', 'GET', `/api/v1/apikeys/${encodeURIComponent(named)}`);
        expect(response.status, `${target}`).toBe(404);
        expect(codeOf(response)).toBe('API_KEY_NOT_FOUND');
        expect(response.body).not.toContain(stack.keys[target].key);
        expect(response.body).not.toContain(stack.keys[target].user);
      }
    }
    const listed = await callAs('observer', 'GET', '/api/v1/apikeys?limit=-1');
    expect(listed.status).toBe(200);
    expect((JSON.parse(listed.body) as Array<{ user: string }>).map((key) => key.user)).toEqual([stack.keys.observer.user]);
    expect((await callAs('observer', 'GET', `/api/v1/apikeys?user=${stack.keys.admin.user}`)).status).toBe(403);
    const own = await callAs('admin', 'GET', `/api/v1/apikeys/${encodeURIComponent(stack.keys.admin.key)}`);
    expect(own.status).toBe(200);
    expect(own.body).not.toContain(stack.keys.admin.key);
    expect(JSON.parse(own.body)).toMatchObject({ id: stack.keys.admin.id, key_hash: '********' });
  });

  it('refuses an observer enabling or disabling any key, its own too, and an admin a system_admin\'s', async () => {
    for (const target of ['observer', 'operator'] as const) {
      const response = await callAs('observer', 'PUT', `/api/v1/apikeys/${stack.keys[target].id}`, { enabled: false });
      expect(response.status, target).toBe(403);
    }
    const upward = await callAs('admin', 'PUT', `/api/v1/apikeys/${stack.keys.system_admin.id}`, { enabled: false });
    expect(upward.status).toBe(403);
    expect((await stack.store.apiKeys.get(stack.keys.system_admin.id))?.enabled).toBe(true);
    const rehash = await callAs('system_admin', 'PUT', `/api/v1/apikeys/${stack.keys.observer.id}`, { key_hash: 'f'.repeat(64) });
    expect(rehash.status).toBe(400);
  });
});

describe('trigger instances', () => {
  it('refuses an observer re-emitting one', async () => {
    const instance = { id: 'attack-instance', trigger: 'core.st2.webhook', payload: { body: {} }, occurredAt: new Date().toISOString(), status: 'processed' as const };
    await stack.store.triggerInstances.insert(instance);
    const response = await callAs('observer', 'POST', '/api/v1/triggerinstances/attack-instance/re_emit');
    expect(response.status).toBe(403);
    expect(codeOf(response)).toBe('API_ROLE_FORBIDDEN');
  });
});

describe('pack sources from API callers', () => {
  const escaping = [
    '../../etc',
    'relative/pack',
    '/tmp/../etc',
    '/tmp//x',
    '~/pack',
    'file:///etc',
    'git+file:///srv/repo',
    'FILE:///etc',
    'ext::sh -c touch% /tmp/pwned',
    '--upload-pack=touch /tmp/pwned',
    '-oProxyCommand=touch /tmp/pwned',
    'https://example.invalid/x.git=--upload-pack=touch',
    'ssh://-oProxyCommand=touch/x',
    'git@-oProxyCommand=x:repo',
    'core\n--upload-pack=x',
  ];

  it('refuses each before any execution starts, naming the source', async () => {
    const before = await stack.store.executions.count({ action: 'packs.install' });
    for (const source of escaping) {
      const response = await callAs('system_admin', 'POST', '/api/v1/packs/install', { packs: [source] });
      expect(response.status, source).toBe(400);
      expect(codeOf(response), source).toBe('PACK_SOURCE_INVALID');
    }
    // One bad item refuses the whole request.
    expect((await callAs('system_admin', 'POST', '/api/v1/packs/install', { packs: ['core', 'file:///etc'] })).status).toBe(400);
    expect(await stack.store.executions.count({ action: 'packs.install' })).toBe(before);
  });
});
