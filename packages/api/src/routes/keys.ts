import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  PackrunError,
  keyValuePairOf,
  keyValueScopeNames,
  parseKeyValueScope,
  type KeyValueEntry,
  type KeyValueScope,
  type KeyValues,
  type Store,
  st2ListQueryProperties,
  st2Page,
  type St2ListQuery,
} from '@packrun/core';
import { datastoreOwner } from '../auth/datastore-access.ts';
import { errorSchema } from '../schemas.ts';

/** st2's KeyValuePair (st2common's KeyValuePairAPI); a secret not decrypted shows `********`. */
const keyValuePairSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    uid: { type: 'string' },
    name: { type: 'string' },
    value: { type: 'string' },
    secret: { type: 'boolean' },
    encrypted: { type: 'boolean', description: 'true when the value shown is not the clear text (a secret not decrypted)' },
    scope: { type: 'string', enum: ['st2kv.system', 'st2kv.user'] },
    user: { type: 'string' },
    expire_timestamp: { type: 'string', description: 'ISO-8601 UTC; when a key set with a ttl goes' },
  },
} as const;

const scopeName = { type: 'string', enum: keyValueScopeNames, description: 'system or user (st2kv.system, st2kv.user); a listing also takes all' } as const;
const user = { type: ['string', 'null'], maxLength: 200, description: 'owner of user-scoped keys (implies scope user); default: the caller\'s user; another user\'s needs admin' } as const;
const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 512 } },
  required: ['name'],
} as const;

interface KeyQuery {
  scope?: string;
  user?: string | null;
  decrypt?: boolean;
  prefix?: string;
}

/** The scope a request reaches: st2 reads a `user` as asking for the user scope. */
function scopeOf(named: string | undefined, owner: string | null | undefined, allowAll: boolean): KeyValueScope | 'all' {
  if (owner) return 'user';
  return named === undefined ? 'system' : parseKeyValueScope(named, { allowAll });
}

function notFound(name: string, scope: KeyValueScope): PackrunError {
  return new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${scope}`, { details: { key: name, scope } });
}

/**
 * Datastore keys, as StackStorm's `/keys` (st2 key list/get/set/delete). Who may reach which
 * scope, whose user-scoped keys, and who may decrypt is datastoreOwner's decision (docs/api.md,
 * "Roles"); `scope=all` is the system scope and the caller's own user scope (another user's with
 * `user`, for an admin), each checked as if asked alone.
 */
export function keyRoutes(app: FastifyInstance, deps: { keyValues: KeyValues; store: Store }): void {
  const { keyValues, store } = deps;

  async function listScope(request: FastifyRequest, scope: KeyValueScope, query: KeyQuery, decrypt: boolean): Promise<KeyValueEntry[]> {
    const owner = await datastoreOwner(request, store, { scope, user: query.user ?? undefined, decrypt, write: false });
    return keyValues.list({ ...owner, ...(query.prefix ? { prefix: query.prefix } : {}), decrypt });
  }

  app.get('/api/v1/keys', {
    config: { access: 'datastore-read' },
    schema: {
      summary: 'List datastore keys of a scope (system by default; all: system and the caller\'s user scope)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { scope: scopeName, user, prefix: { type: 'string', maxLength: 512 }, decrypt: { type: 'boolean', default: false }, ...st2ListQueryProperties },
      },
      response: { 200: { type: 'array', items: keyValuePairSchema }, 400: errorSchema, 403: errorSchema },
    },
  }, async (request, reply) => {
    const query = request.query as KeyQuery & St2ListQuery;
    const decrypt = query.decrypt === true;
    const scope = scopeOf(query.scope, query.user, true);
    const scopes: KeyValueScope[] = scope === 'all' ? ['system', 'user'] : [scope];
    const entries: KeyValueEntry[] = [];
    for (const each of scopes) entries.push(...(await listScope(request, each, query, decrypt)));
    return st2Page(reply, entries.map((entry) => keyValuePairOf(entry, { decrypted: decrypt })), query);
  });

  app.get('/api/v1/keys/:name', {
    config: { access: 'datastore-read' },
    schema: {
      summary: 'One datastore key',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope: scopeName, user, decrypt: { type: 'boolean', default: false } } },
      response: { 200: keyValuePairSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const query = request.query as KeyQuery;
    const decrypt = query.decrypt === true;
    // st2 reads a single key's `all` as system.
    const named = scopeOf(query.scope, query.user, true);
    const scope: KeyValueScope = named === 'all' ? 'system' : named;
    const owner = await datastoreOwner(request, store, { scope, user: query.user ?? undefined, decrypt, write: false });
    const entry = await keyValues.get(name, { ...owner, decrypt });
    if (!entry) throw notFound(name, scope);
    return keyValuePairOf(entry, { decrypted: decrypt });
  });

  app.put('/api/v1/keys/:name', {
    config: { access: 'datastore-write' },
    schema: {
      summary: 'Create or replace a datastore key (st2\'s KeyValuePair body); `secret: true` stores it encrypted',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope: scopeName } },
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          // What st2client sends back of a key it read (`id`, `uid`, `encrypted`...) is taken and checked.
          id: { type: ['string', 'null'], maxLength: 1200 },
          uid: { type: ['string', 'null'], maxLength: 1300 },
          name: { type: ['string', 'null'], maxLength: 512 },
          description: { type: ['string', 'null'], maxLength: 2000 },
          value: { type: 'string' },
          secret: { type: ['boolean', 'null'], default: false },
          encrypted: { type: ['boolean', 'null'], default: false, description: 'st2\'s pre-encrypted value; not taken (Packrun encrypts with its own key)' },
          ttl: { type: ['integer', 'null'], minimum: 1, description: 'seconds until it expires' },
          expire_timestamp: { type: ['string', 'null'], description: 'ignored: set a ttl' },
          scope: { ...scopeName, type: ['string', 'null'] },
          user,
        },
        required: ['value'],
      },
      response: { 200: keyValuePairSchema, 400: errorSchema, 403: errorSchema },
    },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const body = request.body as { name?: string | null; value: string; secret?: boolean | null; encrypted?: boolean | null; ttl?: number | null; scope?: string | null; user?: string | null };
    const query = request.query as KeyQuery;
    if (body.name && body.name !== name) {
      throw new PackrunError('REQUEST_INVALID', `the body names key "${body.name}", not "${name}" of the URL`, { details: { field: 'body.name' } });
    }
    if (body.encrypted === true) {
      throw new PackrunError('REQUEST_INVALID', 'a value encrypted elsewhere (encrypted: true, `st2 key set --encrypted`) is not taken: Packrun encrypts with its own datastore key', {
        hint: 'send the clear value with secret: true (`st2 key set --encrypt`)',
        details: { field: 'body.encrypted' },
      });
    }
    const named = body.scope ?? query.scope;
    // As st2's put: the body's scope, else the query's; `all` (st2client's default elsewhere) is system.
    const scope = named === undefined || named === 'all' ? 'system' : (parseKeyValueScope(named, { allowAll: false }) as KeyValueScope);
    const owner = await datastoreOwner(request, store, { scope, user: body.user ?? undefined, decrypt: false, write: true });
    const entry = await keyValues.set(name, body.value, {
      ...owner,
      encrypt: body.secret === true,
      ...(body.ttl ? { ttl: body.ttl } : {}),
    });
    return keyValuePairOf(entry, { decrypted: false });
  });

  app.delete('/api/v1/keys/:name', {
    config: { access: 'datastore-write' },
    schema: {
      summary: 'Delete a datastore key',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope: scopeName, user } },
      response: { 204: { type: 'null' }, 400: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const query = request.query as KeyQuery;
    const named = scopeOf(query.scope, query.user, true);
    const scope: KeyValueScope = named === 'all' ? 'system' : named;
    const owner = await datastoreOwner(request, store, { scope, user: query.user ?? undefined, decrypt: false, write: true });
    if (!(await keyValues.delete(name, owner))) throw notFound(name, scope);
    return reply.status(204).send();
  });
}
