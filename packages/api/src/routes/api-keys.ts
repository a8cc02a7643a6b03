import type { FastifyInstance } from 'fastify';
import { PackrunError, type Store } from '@packrun/core';
import { createApiKey } from '../auth.ts';
import { errorSchema, idParams } from '../schemas.ts';

const keyRecord = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    user: { type: 'string' },
    enabled: { type: 'boolean' },
    description: { type: 'string' },
    createdAt: { type: 'string' },
  },
} as const;

/** API keys (StackStorm's /apikeys): only hashes are stored, so a key is shown once, at creation. */
export function apiKeyRoutes(app: FastifyInstance, deps: { store: Store }): void {
  app.post('/api/v1/apikeys', {
    schema: {
      summary: 'Create an API key (e.g. one per action runner); the response is the only time the key is shown',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { user: { type: 'string', minLength: 1, maxLength: 100 }, description: { type: 'string', maxLength: 500 } },
        required: ['user'],
      },
      response: { 201: { ...keyRecord, properties: { ...keyRecord.properties, key: { type: 'string' } } }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { user: string; description?: string };
    const { key, record } = await createApiKey(deps.store, body);
    const { keyHash: _hash, ...shown } = record;
    return reply.status(201).send({ ...shown, key });
  });

  app.get('/api/v1/apikeys', {
    schema: { summary: 'API keys (without the keys)', response: { 200: { type: 'array', items: keyRecord } } },
  }, async () => deps.store.apiKeys.find({}, { sort: { createdAt: 1 } }));

  app.delete('/api/v1/apikeys/:id', {
    schema: { summary: 'Revoke an API key', params: idParams, response: { 204: { type: 'null' }, 404: errorSchema } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if ((await deps.store.apiKeys.remove({ id })) === 0) {
      throw new PackrunError('API_KEY_NOT_FOUND', `API key "${id}" does not exist`, { details: { apiKey: id } });
    }
    return reply.status(204).send();
  });
}
