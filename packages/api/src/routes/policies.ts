import type { FastifyInstance } from 'fastify';
import { PackrunError, type Filter, type PolicyRecord, type Store } from '@packrun/core';
import { errorSchema, looseObject, refParams } from '../schemas.ts';

const policySchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    ref: { type: 'string' },
    pack: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    enabled: { type: 'boolean' },
    resourceRef: { type: 'string', description: 'the action it applies to' },
    policyType: { type: 'string', enum: ['action.concurrency', 'action.concurrency.attr', 'action.retry'] },
    parameters: looseObject,
  },
} as const;

/** The action policies packs registered (`policies/*.yaml`), read-only: they change with their pack. */
export function policyRoutes(app: FastifyInstance, deps: { store: Store }): void {
  app.get('/api/v1/policies', {
    config: { access: 'read' },
    schema: {
      summary: 'Registered action policies, by ref',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { pack: { type: 'string', minLength: 1 }, resource_ref: { type: 'string', minLength: 1, description: 'only the policies of this action' } },
      },
      response: { 200: { type: 'array', items: policySchema }, 400: errorSchema },
    },
  }, async (request) => {
    const { pack, resource_ref: resourceRef } = request.query as { pack?: string; resource_ref?: string };
    const filter: Filter<PolicyRecord> = { ...(pack ? { pack } : {}), ...(resourceRef ? { resourceRef } : {}) };
    return deps.store.policies.find(filter, { sort: { id: 1 } });
  });

  app.get('/api/v1/policies/:ref', {
    config: { access: 'read' },
    schema: { summary: 'One action policy', params: refParams, response: { 200: policySchema, 404: errorSchema } },
  }, async (request) => {
    const ref = (request.params as { ref: string }).ref;
    const policy = await deps.store.policies.get(ref);
    if (!policy) throw new PackrunError('POLICY_NOT_FOUND', `no policy "${ref}"`, { hint: '`GET /api/v1/policies` lists them', details: { policy: ref } });
    return policy;
  });
}
