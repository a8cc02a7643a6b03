import type { FastifyInstance } from 'fastify';
import { isCompleted, type PackrunConfig, type Store } from '@packrun/core';
import type { ExecutionService } from '../executions/execution-service.ts';
import { ExecutionFollower } from '../executions/execution-follower.ts';
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
export function streamRoutes(app: FastifyInstance, deps: { config: PackrunConfig; store: Store; executions: ExecutionService; hub: EventHub }): void {
  const { executions, hub, store } = deps;
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
      summary: 'Live events of one execution: its current state first, output so far, then changes until it completes; all its output comes before the completion',
      params: idParams,
      querystring: streamQuery,
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const first = await visibleExecution(request, executions);
    const channel = openSse(request, reply);
    const follower = new ExecutionFollower(store, (event, data) => channel.send(event, data));
    // Events are handled one after the other: a completion may read the store before it is sent.
    let handled = Promise.resolve();
    const handle = (item: HubEvent): void => {
      handled = handled
        .then(() => follower.event(item))
        .then(() => {
          if (follower.finished) channel.close();
        })
        .catch((error: unknown) => {
          request.log.warn({ err: error, executionId: id }, 'execution stream ended on an error');
          channel.close();
        });
    };
    // Attached before the snapshot is read, so that nothing falls between the two; held back
    // until the snapshot and the output so far are sent.
    const held: HubEvent[] = [];
    let live = false;
    const detach = hub.on((item: HubEvent) => {
      if (item.topic === 'announcements' || item.event.executionId !== id) return;
      if (live) handle(item);
      else held.push(item);
    });
    const current = await executions.get(id).catch(() => first);
    channel.send('execution', publicExecution(current, deps.config.resultInlineBytes));
    if (isCompleted(current.status)) {
      await follower.completed(current).catch(() => undefined);
      channel.close();
    } else {
      for (const chunk of hub.outputOf(id)) follower.output(chunk);
      live = true;
      for (const item of held.splice(0)) handle(item);
    }
    await channel.closed;
    detach();
  });
}
