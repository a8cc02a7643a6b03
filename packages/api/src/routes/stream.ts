import type { FastifyInstance } from 'fastify';
import { isCompleted } from '@packrun/core';
import type { ExecutionService } from '../executions/execution-service.ts';
import type { EventHub, HubEvent } from '../event-hub.ts';
import { openSse } from '../sse.ts';
import { publicExecution } from '../executions/public-view.ts';
import { idParams } from '../schemas.ts';
import { visibleExecution } from './executions.ts';

/**
 * Server-Sent Events. Events are named after their topic: `execution-updates` carries
 * `{executionId, status, at, changes}`, `execution-output` carries `{executionId, stream, seq, data}`.
 * An announcement (core.announcement) is the event `st2.announcement__<route>` carrying the
 * announced payload, as StackStorm's stream names and sends it.
 */
export function streamRoutes(app: FastifyInstance, deps: { executions: ExecutionService; hub: EventHub }): void {
  const { executions, hub } = deps;
  const streamQuery = {
    type: 'object',
    properties: { api_key: { type: 'string', description: 'for EventSource clients, which cannot set headers' } },
  } as const;

  app.get('/api/v1/stream', {
    config: { access: 'read', keyInQuery: true },
    schema: { summary: 'Live events of every execution (text/event-stream)', querystring: streamQuery },
  }, async (request, reply) => {
    const channel = openSse(request, reply);
    const detach = hub.on((item: HubEvent) => {
      if (item.topic === 'announcements') channel.send(`st2.announcement__${item.event.route}`, item.event.payload);
      else channel.send(item.topic, item.event);
    });
    await channel.closed;
    detach();
  });

  app.get('/api/v1/executions/:id/stream', {
    config: { access: 'execution-read', keyInQuery: true },
    schema: {
      summary: 'Live events of one execution: its current state first, output so far, then changes until it completes',
      params: idParams,
      querystring: streamQuery,
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const first = await visibleExecution(request, executions);
    const channel = openSse(request, reply);
    // Attach before re-reading so that nothing falls between the snapshot and the live events.
    const detach = hub.on((item: HubEvent) => {
      if (item.topic === 'announcements' || item.event.executionId !== id) return;
      channel.send(item.topic, item.event);
      if (item.topic === 'execution-updates' && isCompleted(item.event.status)) channel.close();
    });
    const current = await executions.get(id).catch(() => first);
    channel.send('execution', publicExecution(current));
    for (const chunk of hub.outputOf(id)) channel.send('execution-output', chunk);
    if (isCompleted(current.status)) channel.close();
    await channel.closed;
    detach();
  });
}
