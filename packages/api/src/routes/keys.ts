import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PackrunError, maskedValue, type KeyValueEntry, type KeyValueScope, type KeyValues } from '@packrun/core';
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

/** User-scoped keys belong to the caller's API key user; secrets are masked unless `decrypt=true`. */
function shown(entry: KeyValueEntry, decrypt: boolean): KeyValueEntry {
  return entry.secret && !decrypt ? { ...entry, value: maskedValue } : entry;
}

/**
 * User-scoped keys are the caller's own, or those of `user` when given: an action runner reads the
 * keys of the user who ran the execution. Every API key has full access (there are no roles yet),
 * so this grants nothing a key could not do already.
 */
function owner(request: FastifyRequest, scopeName: KeyValueScope, user: string | undefined): { scope: KeyValueScope; user?: string } {
  return scopeName === 'user' ? { scope: scopeName, user: user ?? request.user ?? 'anonymous' } : { scope: scopeName };
}

export function keyRoutes(app: FastifyInstance, deps: { keyValues: KeyValues }): void {
  const { keyValues } = deps;

  app.get('/api/v1/keys', {
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
    const entries = await keyValues.list({ ...owner(request, query.scope, query.user), ...(query.prefix ? { prefix: query.prefix } : {}), decrypt: query.decrypt === true });
    return entries.map((entry) => shown(entry, query.decrypt === true));
  });

  app.get('/api/v1/keys/:name', {
    schema: {
      summary: 'One datastore key',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope, user, decrypt: { type: 'boolean', default: false } } },
      response: { 200: entrySchema, 400: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const query = request.query as ScopeQuery;
    const entry = await keyValues.get(name, { ...owner(request, query.scope, query.user), decrypt: query.decrypt === true });
    if (!entry) throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${query.scope}`, { details: { key: name } });
    return shown(entry, query.decrypt === true);
  });

  app.put('/api/v1/keys/:name', {
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
    const entry = await keyValues.set(name, body.value, {
      ...owner(request, body.scope, body.user),
      encrypt: body.secret,
      ...(body.ttl !== undefined ? { ttl: body.ttl } : {}),
    });
    return shown(entry, false);
  });

  app.delete('/api/v1/keys/:name', {
    schema: {
      summary: 'Delete a datastore key',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { scope, user } },
      response: { 204: { type: 'null' }, 400: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const query = request.query as ScopeQuery;
    if (!(await keyValues.delete(name, owner(request, query.scope, query.user)))) {
      throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${query.scope}`, { details: { key: name } });
    }
    return reply.status(204).send();
  });
}
