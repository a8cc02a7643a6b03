import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  attributeList,
  checkAttributes,
  completedStatuses,
  executionStatuses,
  openExecutionOutput,
  openExecutionOutputInOrder,
  openExecutionResult,
  PackrunError,
  purgeExecutions,
  selectAttributes,
  st2ExecutionFields,
  type AttributeSelection,
  type ExecutionRecord,
  type ExecutionViewOptions,
  type Filter,
  type PackrunConfig,
  type ParameterOrigin,
  type Store,
} from '@packrun/core';
import { maxDelayMs, type ExecutionService } from '../executions/execution-service.ts';
import type { EventHub } from '../event-hub.ts';
import { executionView, executionViews } from '../executions/execution-view.ts';
import { callerOfRequest } from '../auth/authorize.ts';
import { atLeast } from '../auth/roles.ts';
import { assertMaySeeExecution } from '../auth/runner-binding.ts';
import { hiddenExecution, packCodeMayRead, startedByField } from '../auth/pack-code-access.ts';
import { assertCallerContext } from '../executions/runtime-context.ts';
import { errorSchema, executionSchema, idParams, looseObject } from '../schemas.ts';

/** st2's include_attributes / exclude_attributes: comma-separated field names (dotted reaches in). */
const attributeQuery = {
  include_attributes: { type: 'string', maxLength: 2000, description: 'comma-separated fields to show (id always); a dotted name (action.ref) reaches into an object field' },
  exclude_attributes: { type: 'string', maxLength: 2000, description: 'comma-separated fields to leave out' },
  show_secrets: { type: 'boolean', description: "st2's; taken and ignored: Packrun keeps no secret value it could show (they are sealed for the runner)" },
} as const;

/** st2's boolean query flags as st2client sends them (`True`). */
const flag = { type: 'string', enum: ['True', 'true', 'False', 'false', '1', '0'] } as const;
const isSet = (value: string | undefined): boolean => value === 'True' || value === 'true' || value === '1';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...attributeQuery,
    action: { type: 'string', minLength: 1, description: 'action ref' },
    pack: { type: 'string', minLength: 1, description: "Packrun's own: the action's pack" },
    status: { type: 'string', enum: [...executionStatuses] },
    parent: { type: 'string', minLength: 1, description: "the workflow execution that started them; `null`: only executions no workflow started (st2's)" },
    rule: { type: 'string', minLength: 1, description: 'rule ref that requested it' },
    trigger_instance: { type: 'string', minLength: 1, description: 'the trigger instance whose rule requested it' },
    runner: { type: 'string', minLength: 1, description: 'runner type' },
    user: { type: 'string', minLength: 1 },
    rerun_of: { type: 'string', minLength: 1, description: "Packrun's own: re-runs of this execution" },
    timestamp_gt: { type: 'string', format: 'date-time', description: 'requested after (ISO-8601)' },
    timestamp_lt: { type: 'string', format: 'date-time', description: 'requested before (ISO-8601)' },
    sort_desc: { ...flag, description: 'newest first (the default)' },
    sort_asc: { ...flag, description: 'oldest first' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

interface AttributeQuery {
  include_attributes?: string;
  exclude_attributes?: string;
}

interface ListQuery extends AttributeQuery {
  action?: string;
  pack?: string;
  status?: ExecutionRecord['status'];
  parent?: string;
  rule?: string;
  trigger_instance?: string;
  runner?: string;
  user?: string;
  rerun_of?: string;
  timestamp_gt?: string;
  timestamp_lt?: string;
  sort_desc?: string;
  sort_asc?: string;
  limit: number;
  offset: number;
}

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

/** st2's `user` in a body: whom to run as, admins only; null or empty is the caller. */
const userField = { type: ['string', 'null'], maxLength: 255, description: 'run as this user (admins only, as st2); null or empty: the caller' } as const;
/** st2's `delay` in milliseconds: the execution waits `delayed` that long before it is scheduled. */
const delayField = { type: ['integer', 'null'], minimum: 0, maximum: maxDelayMs, description: "st2's delay before scheduling, in milliseconds (at most 7 days): the execution is `delayed` until then" } as const;

/** The rights a caller's parameter templates render with: the caller's own, scope by scope. */
function callerOrigin(request: FastifyRequest): ParameterOrigin {
  return { from: 'caller', mayDecrypt: callerOfRequest(request).mayDecrypt };
}

/**
 * The user an execution runs as: the caller, or the body's `user` when an admin names another
 * (st2's rule: "only admins can run as another user").
 */
function runAs(request: FastifyRequest, asked: string | null | undefined): string {
  const caller = callerOfRequest(request);
  if (asked === undefined || asked === null || asked === '' || asked === caller.user) return caller.user;
  if (!atLeast(caller.role, 'admin')) {
    throw new PackrunError('API_ROLE_FORBIDDEN', `a key with role ${caller.role} may not run an action as another user ("${asked}")`, {
      hint: 'leave `user` out (or null) to run as yourself; only admin and system_admin keys run as another user',
      details: { role: caller.role, user: asked, needs: 'admin' },
    });
  }
  return asked;
}

/** st2's body `delay`, as the execution service takes it (null and 0: none). */
function delayOf(delay: number | null | undefined): { delayMs?: number } {
  return delay === undefined || delay === null || delay === 0 ? {} : { delayMs: delay };
}

/** The include/exclude selection of a request, checked against the execution's fields. */
export function executionSelection(query: AttributeQuery): AttributeSelection {
  const include = attributeList(query.include_attributes);
  const exclude = attributeList(query.exclude_attributes);
  const selection: AttributeSelection = { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) };
  checkAttributes(selection, st2ExecutionFields, 'an execution');
  return selection;
}

export function executionRoutes(
  app: FastifyInstance,
  deps: { config: PackrunConfig; store: Store; executions: ExecutionService; hub: EventHub; webUiBase: () => string | undefined },
): void {
  const { store, executions, hub } = deps;
  const inline = deps.config.resultInlineBytes;
  /** The view options every answer shares: st2's web_url while the web UI is served. */
  const shown = (options: Omit<ExecutionViewOptions, 'action' | 'webUiBase'>): Omit<ExecutionViewOptions, 'action'> => {
    const webUiBase = deps.webUiBase();
    return webUiBase === undefined ? options : { ...options, webUiBase };
  };
  const view = (record: ExecutionRecord) => executionView(store, record, shown({ inlineBytes: inline }));

  app.post('/api/v1/executions', {
    config: { access: 'operate' },
    schema: {
      summary: "Run an action (st2's ExecutionRequest): validates the parameters, stores the execution and queues it; 201 with the execution",
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
          user: userField,
          delay: delayField,
          parameters_are_data: {
            type: 'boolean',
            default: false,
            description: "Packrun's own: the parameters are data (a rule rendered them over a trigger payload), inserted as they are, templates in them never rendered; it only ever takes rendering away",
          },
        },
        required: ['action'],
      },
      querystring: { type: 'object', additionalProperties: false, properties: { show_secrets: attributeQuery.show_secrets } },
      response: { 200: executionSchema, 201: executionSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema, 507: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as {
      id?: string;
      action: string;
      parameters?: Record<string, unknown>;
      context?: Record<string, unknown>;
      notify?: Record<string, unknown>;
      user?: string | null;
      delay?: number | null;
      parameters_are_data: boolean;
    };
    // Pack code (its execution's token) starts executions linked to its own, as its user, with
    // parameters that are data: rendered with the caller's rights, templates in them would reach
    // keys past its pack's scope (pack-code-access.ts).
    // The link is the route's to set: one a caller gave would let that execution's pack code read
    // the execution it names (packCodeMayRead).
    const packCode = callerOfRequest(request).packCode;
    // What the runtime records of an execution (its workflow, its task, its retry) is not the caller's to say.
    if (body.context) assertCallerContext(body.context);
    const { [startedByField]: _givenLink, ...givenContext } = body.context ?? {};
    const context = packCode ? { ...givenContext, [startedByField]: packCode.id } : body.context && givenContext;
    const { record, created } = await executions.createOrGet({
      ...(body.id ? { id: body.id } : {}),
      action: body.action,
      parameters: body.parameters ?? {},
      user: runAs(request, body.user),
      ...(context ? { context } : {}),
      ...(body.notify ? { notify: body.notify } : {}),
      ...delayOf(body.delay),
      parameterOrigin: body.parameters_are_data || packCode ? { from: 'data' } : callerOrigin(request),
    });
    return reply.status(created ? 201 : 200).header('location', `/api/v1/executions/${record.id}`).send(await executionView(store, record, shown({ inlineBytes: inline })));
  });

  app.post('/api/v1/executions/purge', {
    config: { access: 'admin' },
    schema: {
      summary: 'Remove completed executions requested before a time (optionally of one action or status), with their stored output; never one still requested, scheduled, running, canceling or pending (st2 execution purge)',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          timestamp: { type: 'string', format: 'date-time', description: 'purge executions requested before this time (ISO-8601)' },
          older_than_days: { type: 'number', exclusiveMinimum: 0, maximum: 100_000, description: 'purge executions requested more than this many days ago' },
          action: { type: 'string', minLength: 1, description: 'only executions of this action ref' },
          status: { type: 'string', enum: [...completedStatuses], description: 'only executions that ended with this status' },
        },
        oneOf: [{ required: ['timestamp'] }, { required: ['older_than_days'] }],
      },
      response: {
        200: { type: 'object', properties: { removed: { type: 'integer' }, before: { type: 'string' } }, required: ['removed', 'before'] },
        400: errorSchema,
      },
    },
  }, async (request) => {
    const body = request.body as { timestamp?: string; older_than_days?: number; action?: string; status?: ExecutionRecord['status'] };
    const before = body.timestamp !== undefined ? new Date(body.timestamp).toISOString() : new Date(Date.now() - (body.older_than_days ?? 0) * 24 * 60 * 60 * 1000).toISOString();
    const removed = await purgeExecutions(store, { before, ...(body.action ? { action: body.action } : {}), ...(body.status ? { status: body.status } : {}) });
    request.log.info({ removed, before, action: body.action, status: body.status, user: request.user }, 'executions purged');
    return { removed, before };
  });

  app.get('/api/v1/executions', {
    config: { access: 'read' },
    schema: {
      summary: 'List executions, newest first (sort_asc: oldest first); the total matching is in the X-Total-Count header. A result over PACKRUN_RESULT_INLINE_BYTES is left out (result_omitted, result_size, result_url)',
      querystring: listQuery,
      response: { 200: { type: 'array', items: executionSchema }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const query = request.query as ListQuery;
    const selection = executionSelection(query);
    const filter: Filter<ExecutionRecord> = {};
    if (query.action) filter.action = query.action;
    if (query.pack) filter.pack = query.pack;
    if (query.status) filter.status = query.status;
    if (query.rerun_of) filter.rerunOf = query.rerun_of;
    if (query.rule) filter.rule = query.rule;
    if (query.trigger_instance) filter.triggerInstance = query.trigger_instance;
    if (query.runner) filter.runnerType = query.runner;
    if (query.user) filter.user = query.user;
    if (query.parent) filter.parent = query.parent === 'null' ? { $exists: false } : query.parent;
    if (query.timestamp_gt || query.timestamp_lt) {
      filter.createdAt = {
        ...(query.timestamp_gt ? { $gt: new Date(query.timestamp_gt).toISOString() } : {}),
        ...(query.timestamp_lt ? { $lt: new Date(query.timestamp_lt).toISOString() } : {}),
      };
    }
    const order = isSet(query.sort_asc) && !isSet(query.sort_desc) ? 1 : -1;
    const [total, items] = await Promise.all([
      store.executions.count(filter),
      store.executions.find(filter, { sort: { createdAt: order, id: order }, skip: query.offset, limit: query.limit }),
    ]);
    const views = await executionViews(store, items, shown({ inlineBytes: inline, listed: true }));
    return reply.header('x-total-count', String(total)).send(views.map((item) => selectAttributes(item, selection)));
  });

  app.get('/api/v1/executions/:id', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'One execution; with max_result_size, a result over that many bytes is left out (result_omitted, result_size, result_url), as one too big for the record always is',
      params: idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { ...attributeQuery, max_result_size: { type: 'integer', minimum: 0 } },
      },
      response: { 200: executionSchema, 400: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const query = request.query as AttributeQuery & { max_result_size?: number };
    const selection = executionSelection(query);
    const record = await visibleExecution(request, executions);
    return selectAttributes(await executionView(store, record, shown(query.max_result_size === undefined ? {} : { inlineBytes: query.max_result_size })), selection);
  });

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
      querystring: { type: 'object', additionalProperties: false, properties: { show_secrets: attributeQuery.show_secrets } },
      response: { 200: executionSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
    },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const { status } = request.body as { status: 'pausing' | 'resuming' };
    const user = request.user ?? 'anonymous';
    const record = status === 'pausing' ? await executions.pause(id, user) : await executions.resume(id, user);
    return executionView(store, record, shown({ inlineBytes: inline }));
  });

  app.delete('/api/v1/executions/:id', {
    config: { access: 'operate' },
    schema: {
      summary: "Cancel, as StackStorm's API does: a queued execution ends canceled at once, a running one goes canceling until its runner stops it; a workflow's running children are canceled too",
      params: idParams,
      querystring: { type: 'object', additionalProperties: false, properties: { show_secrets: attributeQuery.show_secrets } },
      response: { 200: executionSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema },
    },
  }, async (request) => view(await executions.cancel((request.params as { id: string }).id, request.user ?? 'anonymous')));

  app.get('/api/v1/executions/:id/children', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'The executions a workflow started, oldest first; with depth > 1 (or -1 for all), their children too, each after its parent',
      params: idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          depth: { type: 'integer', minimum: -1, maximum: 100, default: -1 },
          result_fmt: { type: 'string', maxLength: 50, description: "st2's; taken and ignored" },
        },
      },
      response: { 200: { type: 'array', items: executionSchema }, 404: errorSchema },
    },
  }, async (request) => {
    const root = await visibleExecution(request, executions);
    const { depth } = request.query as { depth: number };
    const found: ExecutionRecord[] = [];
    await collectChildren(store, root.id, depth === -1 ? Number.POSITIVE_INFINITY : depth, found);
    return executionViews(store, found, shown({ inlineBytes: inline, listed: true }));
  });

  app.post('/api/v1/executions/:id/re_run', {
    config: { access: 'operate' },
    schema: {
      summary: "Run the same action again with the same parameters (overridable), as st2's re_run; the new execution's context has re-run.ref. With tasks, a completed Orquesta workflow runs again from those tasks, keeping what the others did (st2 execution re-run --tasks)",
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          parameters: looseObject,
          tasks: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 255 } },
          // StackStorm's `reset`: the with-items tasks among `tasks` whose every item runs again; the others only their failed items (st2 --no-reset).
          reset: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 255 } },
          user: userField,
          delay: delayField,
        },
      },
      querystring: { type: 'object', additionalProperties: false, properties: { show_secrets: attributeQuery.show_secrets } },
      response: { 201: executionSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const body = (request.body ?? {}) as { parameters?: Record<string, unknown>; tasks?: string[]; reset?: string[]; user?: string | null; delay?: number | null };
    const tasks = body.tasks ?? [];
    const record = await executions.rerun((request.params as { id: string }).id, runAs(request, body.user), body.parameters ?? {}, {
      caller: callerOrigin(request),
      ...(tasks.length === 0 ? {} : { tasks, ...(body.reset === undefined ? {} : { reset: body.reset }) }),
      ...delayOf(body.delay),
    });
    return reply.status(201).header('location', `/api/v1/executions/${record.id}`).send(await executionView(store, record, shown({ inlineBytes: inline })));
  });

  app.get('/api/v1/executions/:id/output', {
    config: { access: 'execution-read' },
    schema: {
      summary: 'The output as text (st2), all or the stream output_type names, stdout and stderr in the order they came: while running the live part; once completed the stored (capped) output',
      params: idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { output_type: { type: 'string', enum: ['all', 'stdout', 'stderr'], default: 'all' } },
      },
      response: { 404: errorSchema },
    },
  }, async (request, reply) => {
    const record = await visibleExecution(request, executions);
    const { output_type: outputType } = request.query as { output_type: 'all' | 'stdout' | 'stderr' };
    return reply.type('text/plain; charset=utf-8').send(await outputOf(store, record, hub, outputType));
  });
}

/** The execution of the `:id` path parameter, if the caller may see it (a runner key: its own only). */
export async function visibleExecution(request: FastifyRequest, executions: ExecutionService): Promise<ExecutionRecord> {
  const record = await executions.get((request.params as { id: string }).id);
  const caller = callerOfRequest(request);
  assertMaySeeExecution(caller, record);
  if (!(await packCodeMayRead((id) => executions.get(id).catch(() => undefined), caller, record))) throw hiddenExecution(record.id);
  return record;
}

/**
 * The output `outputType` names. While running, the live chunks, `all` of them in the order they
 * arrived (st2 interleaves stdout and stderr by time); once completed, the stored output (at most
 * the output cap), streamed from where it is kept, `all` of it replayed in the order it came
 * (store/output-replay.ts).
 */
async function outputOf(store: Store, record: ExecutionRecord, hub: EventHub, outputType: 'all' | 'stdout' | 'stderr'): Promise<string | Readable> {
  if (record.endedAt === undefined) {
    return hub.outputOf(record.id).filter((chunk) => outputType === 'all' || chunk.stream === outputType).map((chunk) => chunk.data).join('');
  }
  if (outputType !== 'all') return await openExecutionOutput(store.executionBlobs, record, outputType);
  return await openExecutionOutputInOrder(store.executionBlobs, record);
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
