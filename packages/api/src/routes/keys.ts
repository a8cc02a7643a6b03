import type { FastifyInstance } from 'fastify';
import { PackrunError, maskedValue, type KeyValueEntry, type KeyValueScope, type KeyValues, type Store } from '@packrun/core';
import { datastoreOwner } from '../auth/datastore-access.ts';
import { errorSchema } from '../schemas.ts';

const entrySchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    scope: { type: 'string' },
    user: { type: 'string' },
    value: { type: 'string' },
    secret: { type: 'boolean' },
    expiresAt: { type: 'string' },
  },
  required: ['name', 'scope', 'value', 'secret'],
} as const;

const scope = { type: 'string', enum: ['system', 'user'], default: 'system' } as const;
const user = { type: 'string', minLength: 1, maxLength: 200, description: 'owner of user-scoped keys; default: the API key\'s user' } as const;
const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 512 } },
  required: ['name'],
} as const;

interface ScopeQuery {
  scope: KeyValueScope;
  user?: string;
  decrypt?: boolean;
  prefix?: string;
}

/** Secrets are masked unless `decrypt=true` was asked (and allowed). */
function shown(entry: KeyValueEntry, decrypt: boolean): KeyValueEntry {
  return entry.secret && !decrypt ? { ...entry, value: maskedValue } : entry;
}

/**
 * Datastore keys. Who may reach which scope, whose user-scoped keys, and who may decrypt is
 * datastoreOwner's decision (docs/api.md, "Roles").
 */
export function keyRoutes(app: FastifyInstance, deps: { keyValues: KeyValues; store: Store }): void {
  const { keyValues, store } = deps;

  app.get('/api/v1/keys', {
    config: { access: 'datastore-read' },
    schema: {
      summary: 'List datastore keys of a scope',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { scope, user, prefix: { type: 'string' }, decrypt: { type: 'boolean', default: false } },
      },
      response: { 200: { type: 'array', items: entrySchema }, 400: errorSchema },
    },
  }, async (request) => {
    const query = request.query as ScopeQuery;
    const decrypt = query.decrypt === true;
    const owner = await datastoreOwner(request, store, { scope: query.scope, user: query.user, decrypt, write: false });
    const entries = await keyValues.list({ ...owner, ...(query.prefix ? { prefix: query.prefix } : {}), decrypt });
    return entries.map((entry) => shown(entry, decrypt));
  });

  app.get('/api/v1/keys/:name', {
    config: { access: 'datastore-read' },
    schema: {
      summary: 'One datastore key',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope, user, decrypt: { type: 'boolean', default: false } } },
      response: { 200: entrySchema, 400: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const query = request.query as ScopeQuery;
    const decrypt = query.decrypt === true;
    const owner = await datastoreOwner(request, store, { scope: query.scope, user: query.user, decrypt, write: false });
    const entry = await keyValues.get(name, { ...owner, decrypt });
    if (!entry) throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${query.scope}`, { details: { key: name } });
    return shown(entry, decrypt);
  });

  app.put('/api/v1/keys/:name', {
    config: { access: 'datastore-write' },
    schema: {
      summary: 'Create or replace a datastore key; `secret: true` stores it encrypted',
      params: nameParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          value: { type: 'string' },
          secret: { type: 'boolean', default: false },
          ttl: { type: 'integer', minimum: 1, description: 'seconds until it expires' },
          scope,
          user,
        },
        required: ['value'],
      },
      response: { 200: entrySchema, 400: errorSchema },
    },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const body = request.body as { value: string; secret: boolean; ttl?: number; scope: KeyValueScope; user?: string };
    const owner = await datastoreOwner(request, store, { scope: body.scope, user: body.user, decrypt: false, write: true });
    const entry = await keyValues.set(name, body.value, {
      ...owner,
      encrypt: body.secret,
      ...(body.ttl !== undefined ? { ttl: body.ttl } : {}),
    });
    return shown(entry, false);
  });

  app.delete('/api/v1/keys/:name', {
    config: { access: 'datastore-write' },
    schema: {
      summary: 'Delete a datastore key',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope, user } },
      response: { 204: { type: 'null' }, 400: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const query = request.query as ScopeQuery;
    const owner = await datastoreOwner(request, store, { scope: query.scope, user: query.user, decrypt: false, write: true });
    if (!(await keyValues.delete(name, owner))) {
      throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${query.scope}`, { details: { key: name } });
    }
    return reply.status(204).send();
  });
}
