import type { FastifyInstance } from 'fastify';
import { PackrunError, apiKeyRoles, hashApiKey, maskedValue, type ApiKeyRecord, type ApiKeyRole, type Filter, type Store, st2ListQueryProperties, st2Page, type St2ListQuery } from '@packrun/core';
import { createApiKey, roleOf } from '../auth/api-key-records.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { roleForbidden, type ApiCaller } from '../auth/caller.ts';
import { accessOf, atLeast, mayManageKeyOf } from '../auth/roles.ts';
import { runnerIdPrefix } from '../auth/runner-binding.ts';
import { errorSchema } from '../schemas.ts';

/** st2's ApiKey (st2common's ApiKeyAPI), plus Packrun's `role`; the hash is never shown. */
const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    uid: { type: 'string' },
    user: { type: 'string' },
    key_hash: { type: 'string', description: 'always ********: Packrun never shows a key\'s hash' },
    metadata: { type: 'object', additionalProperties: true },
    created_at: { type: 'string' },
    enabled: { type: 'boolean' },
    role: { type: 'string', enum: [...apiKeyRoles], description: 'Packrun\'s: what the key may do (docs/api.md, "Roles")' },
  },
} as const;

const idOrKeyParams = {
  type: 'object',
  properties: { id_or_key: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['id_or_key'],
} as const;

export interface St2ApiKey {
  id: string;
  uid: string;
  user: string;
  key_hash: string;
  metadata: Record<string, unknown>;
  created_at: string;
  enabled: boolean;
  role: ApiKeyRole;
}

/** The one view of an API key record the API gives. */
export function st2ApiKeyOf(record: ApiKeyRecord): St2ApiKey {
  return {
    id: record.id,
    uid: `api_key:${record.id}`,
    user: record.user,
    key_hash: maskedValue,
    metadata: record.metadata ?? (record.description === undefined ? {} : { description: record.description }),
    created_at: record.createdAt,
    enabled: record.enabled,
    role: roleOf(record),
  };
}

/** The role a key is created with when none is asked: the one that can change nothing. */
const defaultRole: ApiKeyRole = 'observer';

function assertMayManage(caller: ApiCaller, target: ApiKeyRole, verb: 'create' | 'change' | 'revoke'): void {
  if (!mayManageKeyOf(caller.role, target)) throw roleForbidden(caller, `${verb} ${target} keys`, target === 'system_admin' || target === 'admin' ? 'system_admin' : 'admin');
}

/** Admins see every key; anyone else only its own user's (st2's own-keys view). */
function sees(caller: ApiCaller, record: ApiKeyRecord): boolean {
  return atLeast(caller.role, 'admin') || record.user === caller.user;
}

/**
 * The key a path names by id or by the key itself (st2's `{api_key_id_or_key}`), if the caller
 * may see it. A key the caller may not see is "not found", exactly as one that does not exist, so
 * the route tells nobody whether a key string they hold is someone else's valid key.
 */
async function visibleKey(store: Store, caller: ApiCaller, idOrKey: string): Promise<ApiKeyRecord> {
  const record = (await store.apiKeys.get(idOrKey)) ?? (await store.apiKeys.findOne({ keyHash: hashApiKey(idOrKey) }));
  if (!record || !sees(caller, record)) {
    // Only what has the shape of a key id is repeated back: a key itself never is.
    const isId = /^[0-9a-f]{24}$/i.test(idOrKey);
    throw new PackrunError('API_KEY_NOT_FOUND', `API key ${isId ? `"${idOrKey}"` : 'given'} does not exist`, { details: isId ? { apiKey: idOrKey } : {} });
  }
  return record;
}

/** API keys (StackStorm's /apikeys): only hashes are stored, so a key is shown once, at creation. */
export function apiKeyRoutes(app: FastifyInstance, deps: { store: Store }): void {
  const { store } = deps;

  app.post('/api/v1/apikeys', {
    config: { access: 'admin' },
    schema: {
      summary: 'Create an API key (st2\'s {user, metadata}, plus Packrun\'s role); the response is the only time the key is shown',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          user: { type: 'string', minLength: 1, maxLength: 100, description: 'default: the caller\'s user, as st2' },
          metadata: { type: 'object', additionalProperties: true },
          role: { type: 'string', enum: [...apiKeyRoles], default: defaultRole, description: 'what the key may do (docs/api.md, "Roles"); default observer' },
        },
      },
      response: { 201: { ...apiKeySchema, properties: { ...apiKeySchema.properties, key: { type: 'string' } } }, 400: errorSchema, 403: errorSchema },
    },
  }, async (request, reply) => {
    const caller = callerOfRequest(request);
    const body = request.body as { user?: string; metadata?: Record<string, unknown>; role: ApiKeyRole };
    assertMayManage(caller, body.role, 'create');
    const { key, record } = await createApiKey(store, { user: body.user ?? caller.user, role: body.role, ...(body.metadata ? { metadata: body.metadata } : {}) });
    return reply.status(201).send({ ...st2ApiKeyOf(record), key });
  });

  app.get('/api/v1/apikeys', {
    config: { access: 'self' },
    schema: {
      summary: 'API keys, without the keys: every key for an admin, one\'s own otherwise',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          user: { type: 'string', minLength: 1, maxLength: 100 },
          show_secrets: { type: 'boolean', description: 'accepted from st2client; Packrun never shows key hashes' },
          ...st2ListQueryProperties,
        },
      },
      response: { 200: { type: 'array', items: apiKeySchema }, 400: errorSchema, 403: errorSchema },
    },
  }, async (request, reply) => {
    const caller = callerOfRequest(request);
    const query = request.query as St2ListQuery & { user?: string };
    if (query.user !== undefined && query.user !== caller.user && !atLeast(caller.role, 'admin')) {
      throw roleForbidden(caller, `list the API keys of user "${query.user}"`, 'admin');
    }
    const user = query.user ?? (atLeast(caller.role, 'admin') ? undefined : caller.user);
    const filter: Filter<ApiKeyRecord> = user === undefined ? {} : { user };
    return st2Page(reply, (await store.apiKeys.find(filter, { sort: { createdAt: 1 } })).map(st2ApiKeyOf), query);
  });

  app.get('/api/v1/apikeys/:id_or_key', {
    config: { access: 'self' },
    schema: { summary: 'One API key by id or by the key itself (never shown back)', params: idOrKeyParams, response: { 200: apiKeySchema, 404: errorSchema } },
  }, async (request) => st2ApiKeyOf(await visibleKey(store, callerOfRequest(request), (request.params as { id_or_key: string }).id_or_key)));

  app.put('/api/v1/apikeys/:id_or_key', {
    config: { access: 'admin' },
    schema: {
      summary: 'Enable or disable an API key, or change its metadata (st2 apikey enable/disable send the whole key back)',
      params: idOrKeyParams,
      body: {
        type: 'object',
        // The rest of what st2client read (id, uid, user, created_at, role) comes back unchanged and is not taken.
        additionalProperties: true,
        properties: {
          enabled: { type: 'boolean' },
          metadata: { type: 'object', additionalProperties: true },
          key_hash: { type: 'string', description: 'only ******** (as shown): a key is never replaced through its hash' },
        },
      },
      response: { 200: apiKeySchema, 400: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const caller = callerOfRequest(request);
    const record = await visibleKey(store, caller, (request.params as { id_or_key: string }).id_or_key);
    const body = request.body as { enabled?: boolean; metadata?: Record<string, unknown>; key_hash?: string };
    if (body.key_hash !== undefined && body.key_hash !== maskedValue) {
      throw new PackrunError('REQUEST_INVALID', 'an API key\'s hash cannot be set (`st2 apikey load` is not served): create a key instead', { details: { field: 'body.key_hash' } });
    }
    assertMayManage(caller, roleOf(record), 'change');
    const set: Partial<ApiKeyRecord> = {
      ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    };
    // A disabled key's tokens stop at once: auth-tokens.ts checks the key on every use.
    if (Object.keys(set).length > 0) await store.apiKeys.update({ id: record.id }, { set });
    return st2ApiKeyOf({ ...record, ...set });
  });

  app.delete('/api/v1/apikeys/:id_or_key', {
    config: { access: 'admin' },
    schema: { summary: 'Revoke an API key (by id or by the key)', params: idOrKeyParams, response: { 204: { type: 'null' }, 403: errorSchema, 404: errorSchema } },
  }, async (request, reply) => {
    const caller = callerOfRequest(request);
    const record = await visibleKey(store, caller, (request.params as { id_or_key: string }).id_or_key);
    assertMayManage(caller, roleOf(record), 'revoke');
    await store.apiKeys.remove({ id: record.id });
    // Its tokens stopped working with it (auth-tokens.ts checks the key); this only tidies them away.
    await store.authTokens.remove({ apiKeyId: record.id });
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
