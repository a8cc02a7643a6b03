import type { FastifyInstance } from 'fastify';
import { PackrunError } from '@packrun/core';
import type { InquiryService } from '../inquiries/inquiry-service.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { errorSchema, idParams, looseObject } from '../schemas.ts';

const inquirySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    route: { type: 'string' },
    ttl: { type: 'integer', description: 'minutes it waits for a response (0: no limit)' },
    users: { type: 'array', items: { type: 'string' } },
    roles: { type: 'array', items: { type: 'string' } },
    schema: looseObject,
    parent: { type: 'string' },
  },
  required: ['id', 'route', 'ttl', 'users', 'roles', 'schema'],
} as const;

/**
 * Inquiries (StackStorm's `/api/v1/inquiries`): executions of inquirer actions (core.ask) waiting,
 * `pending`, for a person's response, which must validate against the inquiry's schema.
 */
export function inquiryRoutes(app: FastifyInstance, deps: { inquiries: InquiryService }): void {
  const { inquiries } = deps;

  app.get('/api/v1/inquiries', {
    config: { access: 'read' },
    schema: {
      summary: 'Inquiries waiting for a response, newest first',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: { 200: { type: 'array', items: inquirySchema } },
    },
  }, async (request, reply) => {
    const { items, total } = await inquiries.list(request.query as { limit: number; offset: number });
    return reply.header('x-total-count', String(total)).send(items);
  });

  app.get('/api/v1/inquiries/:id', {
    config: { access: 'read' },
    schema: {
      summary: 'One pending inquiry: who may respond and the schema the response must match',
      params: idParams,
      response: { 200: inquirySchema, 404: errorSchema },
    },
  }, async (request) => inquiries.get((request.params as { id: string }).id));

  app.put('/api/v1/inquiries/:id', {
    config: { access: 'operate' },
    schema: {
      summary: 'Respond to an inquiry: the response must validate against its schema, and the caller be among its users or roles (when it names any); its execution then succeeds with the response in its result',
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          id: { type: 'string', description: 'the inquiry id again, as st2 clients send it; ignored when it matches' },
          response: looseObject,
        },
        required: ['response'],
      },
      response: {
        200: { type: 'object', properties: { id: { type: 'string' }, response: looseObject }, required: ['id', 'response'] },
        400: errorSchema,
        403: errorSchema,
        404: errorSchema,
      },
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const body = request.body as { id?: string; response: Record<string, unknown> };
    if (body.id !== undefined && body.id !== id) {
      throw new PackrunError('PARAMETER_INVALID', `the body's id "${body.id}" is not the inquiry "${id}" of the URL`, { details: { parameter: 'id' } });
    }
    return inquiries.respond(id, callerOfRequest(request), body.response);
  });
}
