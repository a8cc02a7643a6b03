import type { FastifyInstance } from 'fastify';
import { PackrunError, type PackrunConfig, type Store } from '@packrun/core';
import { isValidToken, mintToken } from '../auth/auth-tokens.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { basicCredentials } from '../auth/credentials.ts';
import { errorSchema } from '../schemas.ts';

const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user: { type: 'string' },
    token: { type: 'string' },
    expiry: { type: 'string', description: 'ISO-8601 UTC' },
    metadata: { type: 'object', additionalProperties: true },
  },
  required: ['id', 'user', 'token', 'expiry'],
} as const;

/**
 * StackStorm's auth service (st2auth) on the API port: `POST /auth/v1/tokens` and
 * `POST /auth/v1/tokens/validate`. st2auth authenticates a user and password against a backend
 * (htpasswd, LDAP, ...); Packrun has no user/password backend, so a token is minted from an API
 * key instead, for that key's user and with its role: the key in the St2-Api-Key (or X-Api-Key)
 * header, or as the password of HTTP Basic auth (`st2 auth <user> -p <API key>`, `st2 login`).
 */
export function st2AuthRoutes(app: FastifyInstance, deps: { store: Store; config: PackrunConfig }): void {
  app.post('/auth/v1/tokens', {
    config: { access: 'self', keyOnly: true },
    schema: {
      summary: 'Create an authentication token for the API key\'s user and role (StackStorm\'s st2auth); the response is the only time the token is shown',
      body: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: { ttl: { type: ['integer', 'null'], minimum: 1, description: 'seconds; at most PACKRUN_TOKEN_TTL_MAX, which is also the default' } },
      },
      response: { 201: tokenSchema, 400: errorSchema, 401: errorSchema },
    },
  }, async (request, reply) => {
    const caller = callerOfRequest(request);
    const basic = basicCredentials(request);
    // `st2 auth alice` names a user: a token for another user than the key's would mislead whoever reads it.
    if (basic !== undefined && basic.user !== caller.user) {
      throw new PackrunError('TOKEN_USER_MISMATCH', `the API key belongs to user "${caller.user}", not "${basic.user}"`, {
        hint: `authenticate as "${caller.user}", or use a key of "${basic.user}"`,
        details: { user: basic.user },
      });
    }
    const key = caller.keyId === undefined ? undefined : await deps.store.apiKeys.get(caller.keyId);
    if (!key) throw new PackrunError('TOKEN_NEEDS_API_KEY', 'creating a token needs an API key: API keys are not required on this server (PACKRUN_API_AUTH=false)');
    const ttl = (request.body as { ttl?: number | null } | null | undefined)?.ttl ?? undefined;
    const { token, record } = await mintToken(deps.store, { key, ttlSeconds: ttl, maxTtlSeconds: deps.config.tokenTtlMaxSeconds });
    request.log.info({ user: record.user, apiKey: key.id, expiry: record.expiresAt }, 'authentication token created');
    return reply.status(201).send({ id: record.id, user: record.user, token, expiry: record.expiresAt, metadata: {} });
  });

  app.post('/auth/v1/tokens/validate', {
    config: { access: 'self' },
    schema: {
      summary: 'Whether a token would authenticate now (StackStorm\'s st2auth)',
      body: { type: 'object', properties: { token: { type: ['string', 'null'], maxLength: 200 } } },
      response: { 200: { type: 'object', properties: { valid: { type: 'boolean' } }, required: ['valid'] }, 400: errorSchema },
    },
  }, async (request) => {
    const token = (request.body as { token?: string | null }).token;
    if (!token) throw new PackrunError('REQUEST_INVALID', 'body.token is required', { details: { field: 'body.token' } });
    return { valid: await isValidToken(deps.store, token) };
  });
}
