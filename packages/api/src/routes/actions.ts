import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  attributeList,
  checkAttributes,
  checkEntryPoint,
  PackrunError,
  selectAttributes,
  st2Action,
  st2RunnerType,
  st2RunnerTypes,
  type ActionRecord,
  type AttributeSelection,
  type Filter,
  type Store,
} from '@packrun/core';
import type { ExecutionService } from '../executions/execution-service.ts';
import { errorSchema, looseObject, refParams } from '../schemas.ts';

/** st2's ActionAPI (core's st2Action); loose, since include_attributes may leave any field but `id` out. */
const actionSchema = {
  type: 'object',
  additionalProperties: true,
  description: "StackStorm's Action: id, uid, ref, name, pack, description, enabled, entry_point, runner_type, parameters, output_schema, tags, notify; Packrun's own: unavailable {code, runner, message, field, problems} when it cannot run",
  properties: { id: { type: 'string' }, ref: { type: 'string' }, runner_type: { type: 'string' }, parameters: looseObject },
} as const;

const actionFields: readonly string[] = ['id', 'uid', 'ref', 'name', 'pack', 'description', 'enabled', 'entry_point', 'runner_type', 'parameters', 'output_schema', 'tags', 'notify', 'metadata_file', 'unavailable'];
const runnerFields: readonly string[] = ['id', 'uid', 'name', 'description', 'enabled', 'runner_package', 'runner_module', 'runner_parameters', 'output_key'];

const attributeQuery = {
  include_attributes: { type: 'string', maxLength: 2000, description: 'comma-separated fields to show (id always)' },
  exclude_attributes: { type: 'string', maxLength: 2000, description: 'comma-separated fields to leave out' },
} as const;

interface AttributeQuery {
  include_attributes?: string;
  exclude_attributes?: string;
}

function selection(query: AttributeQuery, fields: readonly string[], resource: string): AttributeSelection {
  const include = attributeList(query.include_attributes);
  const exclude = attributeList(query.exclude_attributes);
  const chosen: AttributeSelection = { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) };
  checkAttributes(chosen, fields, resource);
  return chosen;
}

export function actionRoutes(app: FastifyInstance, deps: { store: Store; executions: ExecutionService }): void {
  app.get('/api/v1/actions', {
    config: { access: 'read' },
    schema: {
      summary: "Registered actions by ref, in StackStorm's shape; the total matching is in X-Total-Count",
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...attributeQuery,
          pack: { type: 'string', minLength: 1 },
          name: { type: 'string', minLength: 1 },
          id: { type: 'string', minLength: 1 },
          tags: { type: 'string', minLength: 1, description: 'an action tag name' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: { 200: { type: 'array', items: actionSchema }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const query = request.query as AttributeQuery & { pack?: string; name?: string; id?: string; tags?: string; limit: number; offset: number };
    const chosen = selection(query, actionFields, 'an action');
    const filter: Filter<ActionRecord> = {};
    if (query.pack) filter.pack = query.pack;
    if (query.name) filter.name = query.name;
    if (query.id) filter.id = query.id;
    const all = (await deps.store.actions.find(filter, { sort: { id: 1 } })).filter((action) => query.tags === undefined || (action.tags ?? []).some((tag) => tagName(tag) === query.tags));
    const page = all.slice(query.offset, query.offset + query.limit);
    return reply.header('x-total-count', String(all.length)).send(page.map((action) => selectAttributes(st2Action(action), chosen)));
  });

  app.get('/api/v1/actions/:ref', {
    config: { access: 'read' },
    schema: {
      summary: "One action, by ref (Packrun's id is the ref)",
      params: refParams,
      querystring: { type: 'object', additionalProperties: false, properties: attributeQuery },
      response: { 200: actionSchema, 400: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const chosen = selection(request.query as AttributeQuery, actionFields, 'an action');
    return selectAttributes(st2Action(await deps.executions.getAction((request.params as { ref: string }).ref)), chosen);
  });

  app.get('/api/v1/actions/views/entry_point/:ref', {
    config: { access: 'read' },
    schema: {
      summary: "The action's entry_point file as text (st2's entry point view): a workflow's definition, a script's source",
      params: refParams,
      response: { 200: { type: 'string' }, 404: errorSchema, 409: errorSchema },
    },
  }, async (request, reply) => {
    const action = await deps.executions.getAction((request.params as { ref: string }).ref);
    const text = await readEntryPoint(deps.store, action);
    // text/plain with nosniff: a file of a pack is shown, never rendered as a page.
    return reply.type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(text);
  });

  app.get('/api/v1/runnertypes', {
    config: { access: 'read' },
    schema: {
      summary: "The runners actions may name in runner_type, as StackStorm's RunnerType (runner_parameters as each runner declares them)",
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...attributeQuery,
          name: { type: 'string', minLength: 1, maxLength: 200 },
          id: { type: 'string', minLength: 1, maxLength: 200 },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: { 200: { type: 'array', items: looseObject }, 400: errorSchema },
    },
  }, async (request, reply) => {
    const query = request.query as AttributeQuery & { name?: string; id?: string; limit: number; offset: number };
    const chosen = selection(query, runnerFields, 'a runner type');
    const all = st2RunnerTypes().filter((runner) => (query.name === undefined || runner.name === query.name) && (query.id === undefined || runner.id === query.id));
    return reply.header('x-total-count', String(all.length)).send(all.slice(query.offset, query.offset + query.limit).map((runner) => selectAttributes(runner, chosen)));
  });

  app.get('/api/v1/runnertypes/:name', {
    config: { access: 'read' },
    schema: {
      summary: 'One runner, by name (its id)',
      params: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['name'] },
      querystring: { type: 'object', additionalProperties: false, properties: attributeQuery },
      response: { 200: looseObject, 400: errorSchema, 404: errorSchema },
    },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const chosen = selection(request.query as AttributeQuery, runnerFields, 'a runner type');
    const runner = st2RunnerType(name);
    if (runner === undefined || runner.name !== name) {
      throw new PackrunError('RUNNER_TYPE_NOT_FOUND', `runner type "${name}" does not exist in Packrun`, {
        hint: 'GET /api/v1/runnertypes lists the runners Packrun has',
        details: { runner: name },
      });
    }
    return selectAttributes(runner, chosen);
  });
}

/** Larger than any workflow or script a pack should ship; bounds what one request reads. */
const entryPointBytes = 1024 * 1024;

/**
 * The action's entry_point file, read only from inside its pack's folder: the path is checked as
 * registration checks it, and again after symlinks are resolved, so a link in a pack cannot
 * expose a host file.
 */
async function readEntryPoint(store: Store, action: ActionRecord): Promise<string> {
  const refuse = (reason: string): PackrunError =>
    new PackrunError('ENTRY_POINT_UNREADABLE', `the entry_point of ${action.ref} cannot be read: ${reason}`, { details: { action: action.ref } });
  if (!action.entryPoint) {
    throw new PackrunError('ACTION_NO_ENTRY_POINT', `action ${action.ref} has no entry_point`, { details: { action: action.ref } });
  }
  const pack = await store.packs.get(action.pack);
  if (!pack) throw new PackrunError('PACK_NOT_INSTALLED', `pack "${action.pack}" is not installed`, { details: { pack: action.pack } });
  const problem = await checkEntryPoint(pack.path, 'actions', action.entryPoint);
  if (problem !== undefined) throw refuse(problem);
  const root = await realpath(pack.path);
  const file = await realpath(path.resolve(pack.path, 'actions', action.entryPoint));
  if (!file.startsWith(root + path.sep)) throw refuse('it leads out of the pack folder');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(entryPointBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > entryPointBytes) throw refuse(`it is larger than ${entryPointBytes} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** A tag as st2 declares them (`{name, value}`) or a bare string. */
function tagName(tag: unknown): string | undefined {
  if (typeof tag === 'string') return tag;
  if (typeof tag === 'object' && tag !== null && typeof (tag as { name?: unknown }).name === 'string') return (tag as { name: string }).name;
  return undefined;
}
