import type { FastifyInstance } from 'fastify';
import type { Bus, Store } from '@packrun/core';

/** `/health` answers while the process serves requests; `/ready` also needs the store and the bus. */
export function healthRoutes(app: FastifyInstance, deps: { store: Store; bus: Bus }): void {
  app.get('/api/v1/health', {
    config: { access: 'public' },
    schema: {
      summary: 'Liveness: the API process answers',
      security: [],
      response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } },
    },
  }, async () => ({ status: 'ok' }));

  app.get('/api/v1/ready', {
    config: { access: 'read' },
    schema: {
      summary: 'Readiness: the store and the bus are connected',
      response: {
        200: readiness,
        503: readiness,
      },
    },
  }, async (_request, reply) => {
    const store = await deps.store.ping().then(() => 'ok', (error: unknown) => String((error as Error).message ?? error));
    const bus = deps.bus.ready ? 'ok' : 'disconnected';
    const ready = store === 'ok' && bus === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', store, bus });
  });
}

const readiness = {
  type: 'object',
  properties: { status: { type: 'string' }, store: { type: 'string' }, bus: { type: 'string' } },
  required: ['status', 'store', 'bus'],
} as const;
