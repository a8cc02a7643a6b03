import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** The OpenAPI document is generated from the route schemas, so it cannot drift from what is validated. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Packrun API',
        version: '1',
        description: 'Executions, actions, packs, datastore keys and live events of a Packrun deployment.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          st2ApiKey: { type: 'apiKey', in: 'header', name: 'St2-Api-Key' },
          authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
          st2ApiKeyQuery: { type: 'apiKey', in: 'query', name: 'st2-api-key' },
          authTokenQuery: { type: 'apiKey', in: 'query', name: 'x-auth-token' },
        },
      },
      security: [{ apiKey: [] }, { st2ApiKey: [] }, { authToken: [] }, { st2ApiKeyQuery: [] }, { authTokenQuery: [] }],
    },
  });
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
