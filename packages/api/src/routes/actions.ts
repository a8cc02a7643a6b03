import type { FastifyInstance } from 'fastify';
import type { ActionRecord, Filter, Store } from '@packrun/core';
import type { ExecutionService } from '../executions/execution-service.ts';
import { errorSchema, looseObject, refParams } from '../schemas.ts';

const actionSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    ref: { type: 'string' },
    pack: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    enabled: { type: 'boolean' },
    runnerType: { type: 'string' },
    parameters: looseObject,
    unavailable: {
      type: 'object',
      description: 'present when the action cannot run: its runner is missing, or its workflow file was refused; running it fails with this code',
      properties: { code: { type: 'string' }, runner: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, problems: { type: 'array', items: looseObject } },
    },
  },
} as const;

export function actionRoutes(app: FastifyInstance, deps: { store: Store; executions: ExecutionService }): void {
  app.get('/api/v1/actions', {
    config: { access: 'read' },
    schema: {
      summary: 'Registered actions, by ref',
      querystring: { type: 'object', additionalProperties: false, properties: { pack: { type: 'string', minLength: 1 } } },
      response: { 200: { type: 'array', items: actionSchema }, 400: errorSchema },
    },
  }, async (request) => {
    const { pack } = request.query as { pack?: string };
    const filter: Filter<ActionRecord> = pack ? { pack } : {};
    return deps.store.actions.find(filter, { sort: { id: 1 } });
  });

  app.get('/api/v1/actions/:ref', {
    config: { access: 'read' },
    schema: { summary: 'One action', params: refParams, response: { 200: actionSchema, 404: errorSchema } },
  }, async (request) => deps.executions.getAction((request.params as { ref: string }).ref));
}
