import type { FastifyInstance } from 'fastify';
import { attributeList, isCompleted, type PackrunConfig, type Store } from '@packrun/core';
import type { SensorContainer } from '@packrun/sensor-container';
import type { ExecutionService } from '../executions/execution-service.ts';
import { endsOutputStream, ExecutionFollower } from '../executions/execution-follower.ts';
import { executionView } from '../executions/execution-view.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { roleHolds } from '../auth/roles.ts';
import { St2StreamEvents, st2OutputEvent, type St2StreamEvent } from '../executions/st2-stream-events.ts';
import { isExecutionEvent, type EventHub, type ExecutionHubEvent, type HubEvent } from '../event-hub.ts';
import { openSse } from '../sse.ts';
import { idParams } from '../schemas.ts';
import { visibleExecution } from './executions.ts';

const listParameter = { type: 'string', maxLength: 10_000 } as const;

const streamQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    api_key: { type: 'string', description: 'for EventSource clients, which cannot set headers' },
    events: { ...listParameter, description: 'comma-separated event names to send (globs: st2.execution__*); all when absent' },
    action_refs: { ...listParameter, description: 'comma-separated action refs: only their execution, liveaction and output events' },
    execution_ids: { ...listParameter, description: 'comma-separated execution ids: only their execution and output events' },
    end_execution_id: { type: 'string', maxLength: 200, description: 'with end_event: the stream ends after that event of this execution in a completed status' },
    end_event: { type: 'string', maxLength: 200 },
  },
} as const;

interface StreamQuery {
  events?: string;
  action_refs?: string;
  execution_ids?: string;
  end_execution_id?: string;
  end_event?: string;
}

/** st2's event filter: fnmatch globs, where `*` is any run of characters and `?` one. */
function globMatcher(globs: string[]): (name: string) => boolean {
  const patterns = globs.map((glob) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return (name) => patterns.some((pattern) => pattern.test(name));
}

/** Whether a subscriber's filters (st2's events, action_refs, execution_ids) let the event through. */
function subscriberFilter(query: StreamQuery): (event: St2StreamEvent) => boolean {
  const events = attributeList(query.events);
  const actionRefs = attributeList(query.action_refs);
  const executionIds = attributeList(query.execution_ids);
  const eventMatches = events === undefined ? () => true : globMatcher(events);
  return (event) =>
    eventMatches(event.event) &&
    (actionRefs === undefined || (event.actionRef !== undefined && actionRefs.includes(event.actionRef))) &&
    (executionIds === undefined || (event.executionId !== undefined && executionIds.includes(event.executionId)));
}

/**
 * StackStorm's stream (st2stream): `/api/v1/stream` (served also as /stream/v1/stream, /v1/stream,
 * /stream/stream) sends st2's events with st2's payloads; `/stream/v1/executions/{id}/output`
 * sends one execution's output as st2.execution.output__create events, then `EOF`.
 */
export function streamRoutes(
  app: FastifyInstance,
  deps: { config: PackrunConfig; store: Store; executions: ExecutionService; hub: EventHub; webUiBase: () => string | undefined; sensorContainer?: SensorContainer },
): void {
  const { executions, hub, store } = deps;
  const feed = new St2StreamEvents(hub, store, {
    onError: (error) => app.log.warn({ err: error }, 'a stream event could not be made'),
    webUiBase: deps.webUiBase,
    ...(deps.sensorContainer ? { sensorContainer: deps.sensorContainer } : {}),
  });

  app.get('/api/v1/stream', {
    config: { access: 'read', keyInQuery: true },
    schema: {
      summary: "StackStorm's event stream (text/event-stream): st2.execution__create/__update, st2.liveaction__create/__update, st2.execution.output__create, st2.announcement__<route>, st2.sensor__update, st2.trigger_instance__create/__update",
      querystring: streamQuery,
    },
  }, async (request, reply) => {
    const query = request.query as StreamQuery;
    const passes = subscriberFilter(query);
    const caller = callerOfRequest(request);
    // What the caller could not read through the resource's own REST route (pack code's tokens reach none of them).
    const mayRead = (event: St2StreamEvent): boolean => event.readAccess === undefined || (caller.packCode === undefined && roleHolds(caller.role, event.readAccess));
    const channel = openSse(request, reply);
    let ended = false;
    // The status each execution was last sent in, so that the catch-up below repeats none and no
    // update made before it (events are made in turn, after the subscription) takes one back from
    // a completed status.
    const sentStatus = new Map<string, NonNullable<St2StreamEvent['status']>>();
    const deliver = (event: St2StreamEvent): void => {
      if (ended) return;
      if (event.executionId !== undefined && event.event === 'st2.execution__update' && event.status !== undefined) {
        const sent = sentStatus.get(event.executionId);
        if (sent !== undefined && isCompleted(sent)) return;
        sentStatus.set(event.executionId, event.status);
      }
      const last = query.end_event !== undefined && event.event === query.end_event && event.executionId === query.end_execution_id && event.status !== undefined && isCompleted(event.status);
      if (passes(event) && mayRead(event)) channel.send(event.event, event.data);
      if (!last) return;
      ended = true;
      channel.close();
    };
    const detach = feed.subscribe(deliver);
    // st2's CLI asks for the end of an execution it has just started (st2 pack install) and shows
    // its tasks from their updates: what happened before the subscription would never be sent, so
    // the tasks' current states, then the execution's own if it has completed, are sent now.
    if (query.end_event === 'st2.execution__update' && query.end_execution_id !== undefined) {
      const record = await store.executions.get(query.end_execution_id);
      if (record !== undefined) {
        const children = await store.executions.find({ parent: record.id }, { sort: { createdAt: 1, id: 1 }, limit: 1000 });
        for (const current of [...children, ...(isCompleted(record.status) ? [record] : [])]) {
          // Sent live meanwhile in this status or a final one: nothing newer to say.
          const sent = sentStatus.get(current.id);
          if (sent !== undefined && (sent === current.status || isCompleted(sent))) continue;
          const webUiBase = deps.webUiBase();
          const view = await executionView(store, current, webUiBase === undefined ? {} : { webUiBase });
          deliver({ event: 'st2.execution__update', data: view, executionId: current.id, actionRef: view.action.ref, status: current.status });
        }
      }
    }
    await channel.closed;
    detach();
  });

  app.get('/stream/v1/executions/:id/output', {
    config: { access: 'execution-read', keyInQuery: true },
    schema: {
      summary: "One execution's output (st2stream): what it printed so far, then live, as st2.execution.output__create events; all of it before `EOF`, sent when the execution completes, pauses or waits for a response",
      params: idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { api_key: streamQuery.properties.api_key, output_type: { type: 'string', enum: ['all', 'stdout', 'stderr'], default: 'all' } },
      },
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const { output_type: outputType } = request.query as { output_type: 'all' | 'stdout' | 'stderr' };
    const first = await visibleExecution(request, executions);
    const of = { action: first.action, runner: first.runnerType ?? '' };
    const channel = openSse(request, reply);
    const follower = new ExecutionFollower(store, (chunk) => {
      if (outputType === 'all' || chunk.stream === outputType) channel.send('st2.execution.output__create', st2OutputEvent(chunk, of));
    });
    const end = (): void => {
      channel.sendText('EOF', "''");
      channel.close();
    };
    // Events are handled one after the other: a completion may read the store before it is sent.
    let handled = Promise.resolve();
    const handle = (item: ExecutionHubEvent): void => {
      handled = handled
        .then(() => follower.event(item))
        .then(() => {
          if (follower.finished) end();
        })
        .catch((error: unknown) => {
          request.log.warn({ err: error, executionId: id }, 'execution output stream ended on an error');
          channel.close();
        });
    };
    // Attached before the snapshot is read, so that nothing falls between the two; held back
    // until the snapshot and the output so far are sent.
    const held: ExecutionHubEvent[] = [];
    let live = false;
    const detach = hub.on((item: HubEvent) => {
      if (!isExecutionEvent(item) || item.event.executionId !== id) return;
      if (live) handle(item);
      else held.push(item);
    });
    const current = await executions.get(id).catch(() => first);
    if (isCompleted(current.status)) {
      await follower.completed(current).catch(() => undefined);
      end();
    } else {
      for (const chunk of hub.outputOf(id)) follower.output(chunk);
      if (endsOutputStream(current.status)) {
        follower.stop();
        end();
      } else {
        live = true;
        for (const item of held.splice(0)) handle(item);
      }
    }
    await channel.closed;
    detach();
  });
}
