import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PackrunError, hashApiKey, newId, nowIso, type Store, type ApiKeyRecord } from '@packrun/core';

/** Routes reachable without a key: liveness and the API description. */
const publicPaths = new Set(['/api/v1/health', '/api/v1/openapi.json']);

/**
 * A new API key: 32 random bytes, of which only the sha256 is stored (random keys need no salt or
 * slow hash). The key itself is returned once, to be shown or written to a 0600 file.
 */
export async function createApiKey(
  store: Store,
  options: { user: string; description?: string },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = `pk_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id: newId(),
    keyHash: hashApiKey(key),
    user: options.user,
    enabled: true,
    createdAt: nowIso(),
  };
  if (options.description !== undefined) record.description = options.description;
  await store.apiKeys.insert(record);
  return { key, record };
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'] ?? request.headers['st2-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  // EventSource cannot set headers, so the stream routes also accept the key as a query parameter.
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.['api_key'] ?? query?.['st2-api-key'];
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The user the API key belongs to; set by the auth hook. */
    user?: string;
  }
}

/** Requires a valid key on every route but the public ones; `X-Api-Key` or StackStorm's `St2-Api-Key`. */
export function registerAuth(app: FastifyInstance, store: Store, options: { required: boolean }): void {
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (!options.required || publicPaths.has(path) || !path.startsWith('/api/')) {
      request.user = 'anonymous';
      return;
    }
    const key = presentedKey(request);
    if (key === undefined) {
      throw new PackrunError('API_KEY_MISSING', 'this route needs an API key', {
        hint: 'send it in the X-Api-Key (or St2-Api-Key) header; `packrun up` wrote one to PACKRUN_HOME/secrets/cli-api-key',
      });
    }
    const record = await store.apiKeys.findOne({ keyHash: hashApiKey(key) });
    if (record === undefined || !record.enabled) {
      throw new PackrunError('API_KEY_INVALID', 'the API key given is not valid or is disabled', {
        hint: 'check PACKRUN_API_KEY or PACKRUN_HOME/secrets/cli-api-key',
      });
    }
    request.user = record.user;
  });
}
