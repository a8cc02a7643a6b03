import type { FastifyInstance } from 'fastify';
import { PackrunError, apiKeyRoles, type ApiKeyRecord, type ApiKeyRole, type Store } from '@packrun/core';
import { createApiKey, roleOf } from '../auth/api-key-records.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { roleForbidden, type ApiCaller } from '../auth/caller.ts';
import { accessOf, mayManageKeyOf } from '../auth/roles.ts';
import { runnerIdPrefix } from '../auth/runner-binding.ts';
import { errorSchema, idParams } from '../schemas.ts';

const keyRecord = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user: { type: 'string' },
    role: { type: 'string', enum: [...apiKeyRoles] },
    enabled: { type: 'boolean' },
    description: { type: 'string' },
    createdAt: { type: 'string' },
  },
} as const;

/** The role a key is created with when none is asked: the one that can change nothing. */
const defaultRole: ApiKeyRole = 'observer';

function assertMayManage(caller: ApiCaller, target: ApiKeyRole, verb: 'create' | 'revoke'): void {
  if (!mayManageKeyOf(caller.role, target)) throw roleForbidden(caller, `${verb} ${target} keys`, target === 'system_admin' || target === 'admin' ? 'system_admin' : 'admin');
}

function shown(record: ApiKeyRecord): Omit<ApiKeyRecord, 'keyHash'> {
  const { keyHash: _hash, ...rest } = record;
  return { ...rest, role: roleOf(record) };
}

/** API keys (StackStorm's /apikeys): only hashes are stored, so a key is shown once, at creation. */
export function apiKeyRoutes(app: FastifyInstance, deps: { store: Store }): void {
  app.post('/api/v1/apikeys', {
    config: { access: 'admin' },
    schema: {
      summary: 'Create an API key (e.g. one per action runner); the response is the only time the key is shown',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          user: { type: 'string', minLength: 1, maxLength: 100 },
          role: { type: 'string', enum: [...apiKeyRoles], default: defaultRole, description: 'what the key may do (docs/api.md, "Roles"); default observer' },
          description: { type: 'string', maxLength: 500 },
        },
        required: ['user'],
      },
      response: { 201: { ...keyRecord, properties: { ...keyRecord.properties, key: { type: 'string' } } }, 400: errorSchema, 403: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { user: string; role: ApiKeyRole; description?: string };
    assertMayManage(callerOfRequest(request), body.role, 'create');
    const { key, record } = await createApiKey(deps.store, body);
    return reply.status(201).send({ ...shown(record), key });
  });

  app.get('/api/v1/apikeys', {
    config: { access: 'admin' },
    schema: { summary: 'API keys (without the keys)', response: { 200: { type: 'array', items: keyRecord } } },
  }, async () => (await deps.store.apiKeys.find({}, { sort: { createdAt: 1 } })).map(shown));

  app.delete('/api/v1/apikeys/:id', {
    config: { access: 'admin' },
    schema: { summary: 'Revoke an API key', params: idParams, response: { 204: { type: 'null' }, 403: errorSchema, 404: errorSchema } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const record = await deps.store.apiKeys.get(id);
    if (!record) throw new PackrunError('API_KEY_NOT_FOUND', `API key "${id}" does not exist`, { details: { apiKey: id } });
    assertMayManage(callerOfRequest(request), roleOf(record), 'revoke');
    await deps.store.apiKeys.remove({ id });
    // Its tokens stopped working with it (auth-tokens.ts checks the key); this only tidies them away.
    await deps.store.authTokens.remove({ apiKeyId: id });
    return reply.status(204).send();
  });

  app.get('/api/v1/whoami', {
    config: { access: 'self' },
    schema: {
      summary: 'The caller: its user, role, key id, the permission classes it holds, and the prefix its runner ids must have',
      response: {
        200: {
          type: 'object',
          properties: {
            user: { type: 'string' },
            role: { type: 'string' },
            keyId: { type: 'string' },
            access: { type: 'array', items: { type: 'string' } },
            runnerIdPrefix: { type: 'string' },
          },
          required: ['user', 'role', 'access', 'runnerIdPrefix'],
        },
      },
    },
  }, async (request) => {
    const caller = callerOfRequest(request);
    return {
      user: caller.user,
      role: caller.role,
      access: accessOf(caller.role),
      ...(caller.keyId === undefined ? {} : { keyId: caller.keyId }),
      runnerIdPrefix: caller.keyId === undefined ? '' : runnerIdPrefix(caller.keyId),
    };
  });
}
