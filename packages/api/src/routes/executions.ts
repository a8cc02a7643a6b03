import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  completedStatuses,
  executionStatuses,
  openExecutionOutput,
  openExecutionResult,
  PackrunError,
  purgeExecutions,
  type ExecutionRecord,
  type Filter,
  type PackrunConfig,
  type ParameterOrigin,
  type Store,
} from '@packrun/core';
import type { ExecutionService } from '../executions/execution-service.ts';
import type { EventHub } from '../event-hub.ts';
import { listedExecution, publicExecution } from '../executions/public-view.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { assertMaySeeExecution } from '../auth/runner-binding.ts';
import { errorSchema, executionSchema, idParams, looseObject } from '../schemas.ts';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    action: { type: 'string', minLength: 1 },
    status: { type: 'string', enum: [...executionStatuses] },
    since: { type: 'string', format: 'date-time', description: 'created at or after (ISO-8601)' },
    until: { type: 'string', format: 'date-time', description: 'created before (ISO-8601)' },
    rerunOf: { type: 'string' },
    rule: { type: 'string', minLength: 1, description: 'rule ref that requested it' },
    user: { type: 'string', minLength: 1 },
    parent: { type: 'string', minLength: 1, description: 'the workflow execution that started them' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

/** One notify section as StackStorm's NotificationSubSchema has it. */
const notifySection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    message: { type: 'string', maxLength: 4096 },
    data: looseObject,
    routes: { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 255 } },
    channels: { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 255 }, description: 'deprecated name of routes' },
  },
} as const;

const notifyBody = {
  type: 'object',
  additionalProperties: false,
  description: "StackStorm's notify block: core.st2.generic.notifytrigger fired per route when the execution ends (used when the action's metadata has none)",
  properties: { 'on-complete': notifySection, 'on-success': notifySection, 'on-failure': notifySection },
} as const;

interface ListQuery {
  action?: string;
  status?: ExecutionRecord['status'];
  since?: string;
  until?: string;
  rerunOf?: string;
  rule?: string;
  user?: string;
  parent?: string;
  limit: number;
  offset: number;
}

/** The rights a caller's parameter templates render with: the caller's own, scope by scope. */
function callerOrigin(request: FastifyRequest): ParameterOrigin {
  return { from: 'caller', mayDecrypt: callerOfRequest(request).mayDecrypt };
}

export function executionRoutes(app: FastifyInstance, deps: { config: PackrunConfig; store: Store; executions: ExecutionService; hub: EventHub }): void {
  const { store, executions, hub } = deps;
  const inline = deps.config.resultInlineBytes;

  app.post('/api/v1/executions', {
    config: { access: 'operate' },
    schema: {
      summary: 'Run an action: validates the parameters, stores the execution and queues it',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          id: {
            type: 'string',
            pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{7,127}$',
            description: 'optional id chosen by the client: a retried create with the same id (same user, same action) answers 200 with the execution it created, never a duplicate; with another user or action, 409',
          },
          action: { type: 'string', minLength: 1, description: 'action ref <pack>.<name>' },
          parameters: looseObject,
          context: looseObject,
          notify: notifyBody,
          parametersAreData: {
            type: 'boolean',
            default: false,
            description: 'the parameters are data (a rule rendered them over a trigger payload): inserted as they are, templates in them never rendered; it only ever takes rendering away',
          },
        },
        required: ['action'],
      },
      response: { 200: executionSchema, 201: executionSchema, 400: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema, 507: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as {
      id?: string;
      action: string;
      parameters?: Record<string, unknown>;
      context?: Record<string, unknown>;
      notify?: Record<string, unknown>;
      parametersAreData: boolean;
    };
    const { record, created } = await executions.createOrGet({
      ...(body.id ? { id: body.id } : {}),
      action: body.action,
      parameters: body.parameters ?? {},
      user: request.user ?? 'anonymous',
      ...(body.context ? { context: body.context } : {}),
      ...(body.notify ? { notify: body.notify } : {}),
      parameterOrigin: body.parametersAreData ? { from: 'data' } : callerOrigin(request),
    });
    return reply.status(created ? 201 : 200).header('location', `/api/v1/executions/${record.id}`).send(publicExecution(record, inline));
  });

  app.post('/api/v1/executions/purge', {
    config: { access: 'admin' },
    schema: {
      summary: 'Remove completed executions created before a time (optionally of one action or status), with their stored output; never one still requested, scheduled, running, canceling or pending (st2 execution purge)',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          timestamp: { type: 'string', format: 'date-time', description: 'purge executions created before this time (ISO-8601)' },
          olderThanDays: { type: 'number', exclusiveMinimum: 0, maximum: 100_000, description: 'purge executions created more than this many days ago' },
          action: { type: 'string', minLength: 1, description: 'only executions of this action ref' },
          status: { type: 'string', enum: [...completedStatuses], description: 'only executions that ended with this status' },
        },
        oneOf: [{ required: ['timestamp'] }, { required: ['olderThanDays'] }],
      },
      response: {
        200: { type: 'object', properties: { removed: { type: 'integer' }, before: { type: 'string' } }, required: ['removed', 'before'] },
        400: errorSchema,
      },
    },
  }, async (request) => {
    const body = request.body as { timestamp?: string; olderThanDays?: number; action?: string; status?: ExecutionRecord['status'] };
    const before = body.timestamp !== undefined ? new Date(body.timestamp).toISOString() : new Date(Date.now() - (body.olderThanDays ?? 0) * 24 * 60 * 60 * 1000).toISOString();
    const removed = await purgeExecutions(store, { before, ...(body.action ? { action: body.action } : {}), ...(body.status ? { status: body.status } : {}) });
    request.log.info({ removed, before, action: body.action, status: body.status, user: request.user }, 'executions purged');
    return { removed, before };
  });

  app.get('/api/v1/executions', {
    config: { access: 'read' },
    schema: {
      summary: 'List executions, newest first; the total matching is in the X-Total-Count header. A result over PACKRUN_RESULT_INLINE_BYTES is left out (resultOmitted, resultSize, resultUrl)',
      querystring: listQuery,
      response: { 200: { type: 'array', items: executionSchema }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const query = request.query as ListQuery;
    const filter: Filter<ExecutionRecord> = {};
    if (query.action) filter.action = query.action;
    if (query.status) filter.status = query.status;
    if (query.rerunOf) filter.rerunOf = query.rerunOf;
    if (query.rule) filter.rule = query.rule;
    if (query.user) filter.user = query.user;
    if (query.parent) filter.parent = query.parent;
    if (query.since || query.until) {
      filter.createdAt = {
        ...(query.since ? { $gte: new Date(query.since).toISOString() } : {}),
        ...(query.until ? { $lt: new Date(query.until).toISOString() } : {}),
      };
    }
    const [total, items] = await Promise.all([
      store.executions.count(filter),
      store.executions.find(filter, { sort: { createdAt: -1, id: -1 }, skip: query.offset, limit: query.limit }),
    ]);
    return reply.header('x-total-count', String(total)).send(items.map((item) => listedExecution(item, inline)));
  });

  app.get('/api/v1/executions/:id', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'One execution; a result over PACKRUN_RESULT_INLINE_BYTES is left out (resultOmitted, resultSize, resultUrl)',
      params: idParams,
      response: { 200: executionSchema, 404: errorSchema },
    },
  }, async (request) => publicExecution(await visibleExecution(request, executions), inline));

  app.get('/api/v1/executions/:id/result', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'The whole result document of a completed execution (application/json, streamed), however large',
      params: idParams,
      response: { 404: errorSchema },
    },
  }, async (request, reply) => {
    const record = await visibleExecution(request, executions);
    if (record.result === undefined && record.resultBlobs === undefined) {
      throw new PackrunError('EXECUTION_NO_RESULT', `execution ${record.id} has no result (it is ${record.status})`, {
        hint: 'a result is stored when the execution completes; an execution that failed before its action ran has none',
        details: { id: record.id, status: record.status },
      });
    }
    const body = await openExecutionResult(store.executionBlobs, record);
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.post('/api/v1/executions/:id/cancel', {
    config: { access: 'operate' },
    schema: {
      summary: 'Cancel: a queued execution ends canceled at once, a running one goes canceling until its runner stops it',
      params: idParams,
      response: { 200: executionSchema, 404: errorSchema, 409: errorSchema },
    },
  }, async (request) => publicExecution(await executions.cancel((request.params as { id: string }).id, request.user ?? 'anonymous'), inline));

  app.put('/api/v1/executions/:id', {
    config: { access: 'operate' },
    schema: {
      summary: "Pause or resume a workflow execution, as StackStorm's API does: status pausing (its running child workflows pause too) or resuming",
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { status: { type: 'string', enum: ['pausing', 'resuming'] } },
        required: ['status'],
      },
      response: { 200: executionSchema, 404: errorSchema, 409: errorSchema },
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const { status } = request.body as { status: 'pausing' | 'resuming' };
    const user = request.user ?? 'anonymous';
    const record = status === 'pausing' ? await executions.pause(id, user) : await executions.resume(id, user);
    return publicExecution(record, inline);
  });

  app.delete('/api/v1/executions/:id', {
    config: { access: 'operate' },
    schema: {
      summary: "Cancel, as StackStorm's API does (the same as POST /executions/{id}/cancel); a workflow's running children are canceled too",
      params: idParams,
      response: { 200: executionSchema, 404: errorSchema, 409: errorSchema },
    },
  }, async (request) => publicExecution(await executions.cancel((request.params as { id: string }).id, request.user ?? 'anonymous'), inline));

  app.get('/api/v1/executions/:id/children', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'The executions a workflow started, oldest first; with depth > 1 (or -1 for all), their children too, each after its parent',
      params: idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { depth: { type: 'integer', minimum: -1, maximum: 100, default: -1 } },
      },
      response: { 200: { type: 'array', items: executionSchema }, 404: errorSchema },
    },
  }, async (request) => {
    const root = await visibleExecution(request, executions);
    const { depth } = request.query as { depth: number };
    const found: ExecutionRecord[] = [];
    await collectChildren(store, root.id, depth === -1 ? Number.POSITIVE_INFINITY : depth, found);
    return found.map((item) => listedExecution(item, inline));
  });

  app.post('/api/v1/executions/:id/rerun', {
    config: { access: 'operate' },
    schema: {
      summary: 'Run the same action again with the same parameters (overridable); the new execution has rerunOf set. With tasks, a completed Orquesta workflow runs again from those tasks (an empty list: its failed ones), keeping what the others did, as st2 execution re-run --tasks',
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          parameters: looseObject,
          tasks: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 255 } },
          // StackStorm's `reset`: the with-items tasks among `tasks` whose every item runs again; the others only their failed items.
          reset: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 255 } },
        },
      },
      response: { 201: executionSchema, 400: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { parameters?: Record<string, unknown>; tasks?: string[]; reset?: string[] } | undefined;
    const record = await executions.rerun((request.params as { id: string }).id, request.user ?? 'anonymous', body?.parameters ?? {}, callerOrigin(request), body?.tasks, body?.reset);
    return reply.status(201).header('location', `/api/v1/executions/${record.id}`).send(publicExecution(record, inline));
  });

  app.get('/api/v1/executions/:id/output', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'stdout and stderr: the live part while running, the stored (capped) output once completed; with ?stream=stdout or stderr, that stream alone as text/plain',
      params: idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { stream: { type: 'string', enum: ['stdout', 'stderr'] } },
      },
      response: {
        200: {
          type: 'object',
          properties: { stdout: { type: 'string' }, stderr: { type: 'string' }, complete: { type: 'boolean' } },
          required: ['stdout', 'stderr', 'complete'],
        },
        404: errorSchema,
      },
    },
  }, async (request, reply) => {
    const record = await visibleExecution(request, executions);
    const { stream } = request.query as { stream?: 'stdout' | 'stderr' };
    if (stream === undefined) return outputOf(store, record, hub);
    const text = record.endedAt === undefined ? liveOutput(record, hub)[stream] : await openExecutionOutput(store.executionBlobs, record, stream);
    return reply.type('text/plain; charset=utf-8').send(text);
  });
}

/** The execution of the `:id` path parameter, if the caller may see it (a runner key: its own only). */
export async function visibleExecution(request: FastifyRequest, executions: ExecutionService): Promise<ExecutionRecord> {
  const record = await executions.get((request.params as { id: string }).id);
  assertMaySeeExecution(callerOfRequest(request), record);
  return record;
}

/**
 * Both streams as one JSON document: the stored output once completed (each at most the output
 * cap, from the record or its blobs), the live part while running.
 */
async function outputOf(store: Store, record: ExecutionRecord, hub: EventHub): Promise<{ stdout: string; stderr: string; complete: boolean }> {
  if (record.endedAt === undefined) return { ...liveOutput(record, hub), complete: false };
  const text = async (field: 'stdout' | 'stderr'): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of await openExecutionOutput(store.executionBlobs, record, field)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  return { stdout: await text('stdout'), stderr: await text('stderr'), complete: true };
}

function liveOutput(record: ExecutionRecord, hub: EventHub): { stdout: string; stderr: string } {
  const chunks = hub.outputOf(record.id);
  const join = (stream: 'stdout' | 'stderr'): string => chunks.filter((c) => c.stream === stream).map((c) => c.data).join('');
  return { stdout: join('stdout'), stderr: join('stderr') };
}

/** The most descendants one children request lists: a tree is walked one level per query. */
const maxDescendants = 10_000;

/** Children of `parent` (oldest first), each followed by its own down to `depth` levels. */
async function collectChildren(store: Store, parent: string, depth: number, found: ExecutionRecord[]): Promise<void> {
  if (depth < 1 || found.length >= maxDescendants) return;
  const children = await store.executions.find({ parent }, { sort: { createdAt: 1, id: 1 }, limit: maxDescendants - found.length });
  for (const child of children) {
    found.push(child);
    if (child.children !== undefined && child.children.length > 0) await collectChildren(store, child.id, depth - 1, found);
  }
}
