import type { FastifyInstance } from 'fastify';
import { PackrunError, type Store } from '@packrun/core';
import type { PackOperations } from '../packs/pack-operations.ts';
import { errorSchema, executionSchema, looseObject, refParams } from '../schemas.ts';

const packSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    ref: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    description: { type: 'string' },
    path: { type: 'string' },
    source: { type: 'string' },
    metadata: looseObject,
  },
} as const;

export function packRoutes(app: FastifyInstance, deps: { store: Store; packs: PackOperations }): void {
  const { store, packs } = deps;

  app.get('/api/v1/packs', {
    config: { access: 'read' },
    schema: { summary: 'Installed packs', response: { 200: { type: 'array', items: packSchema } } },
  }, async () => store.packs.find({}, { sort: { id: 1 } }));

  app.get('/api/v1/packs/:ref', {
    config: { access: 'read' },
    schema: { summary: 'One installed pack', params: refParams, response: { 200: packSchema, 404: errorSchema } },
  }, async (request) => {
    const { ref } = request.params as { ref: string };
    const pack = await store.packs.get(ref);
    if (!pack) throw new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, { details: { pack: ref } });
    return pack;
  });

  app.post('/api/v1/packs/install', {
    config: { access: 'admin' },
    schema: {
      summary: 'Install a pack (folder, git URL, archive or index name): returns the packs.install execution; its output is the progress',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          source: {
            anyOf: [
              { type: 'string', minLength: 1 },
              { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 50 },
            ],
            description: 'one source or several (installed together, dependencies first)',
          },
          force: { type: 'boolean', default: false, description: 'install even if stackstorm_version or python_versions do not fit' },
        },
        required: ['source'],
      },
      response: { 202: executionSchema, 400: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { source: string | string[]; force: boolean };
    const record = await packs.install({ source: body.source, force: body.force, user: request.user ?? 'anonymous' });
    return reply.status(202).header('location', `/api/v1/executions/${record.id}`).send(record);
  });

  app.delete('/api/v1/packs/:ref', {
    config: { access: 'admin' },
    schema: {
      summary: 'Remove a pack: returns the packs.remove execution',
      params: refParams,
      querystring: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean', default: false } } },
      response: { 202: executionSchema, 400: errorSchema },
    },
  }, async (request, reply) => {
    const { ref } = request.params as { ref: string };
    const { force } = request.query as { force: boolean };
    const record = await packs.remove({ ref, force, user: request.user ?? 'anonymous' });
    return reply.status(202).header('location', `/api/v1/executions/${record.id}`).send(record);
  });
}
