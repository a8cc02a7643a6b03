import type { FastifyInstance } from 'fastify';
import { isSettled, PackrunError, st2ListQueryProperties, st2Page, validatePackRef, type PackEnvironmentStatus, type PackRecord, type St2ListQuery, type Store } from '@packrun/core';
import { describePython, upgradeSource } from '@packrun/pack-installer';
import { checkApiPackSource } from '../packs/api-pack-sources.ts';
import type { PackOperations } from '../packs/pack-operations.ts';
import { errorSchema, refParams } from '../schemas.ts';

const packSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    ref: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    environment: { type: 'object', additionalProperties: true, description: "Packrun's: the active version's env (kind, state, python) and a later install's build (docs/api.md)" },
  },
} as const;

/**
 * A pack as StackStorm's API shows it (st2common's PackAPI): its pack.yaml's fields (`name`,
 * `version`, `author`, `keywords`, `stackstorm_version`, `python_versions`, `dependencies`...) with
 * `id`, `uid`, `ref` and `path`; Packrun's own: `source` (where it was installed from), timestamps,
 * and `environment` (packEnvironment).
 */
export function st2Pack(pack: PackRecord): Record<string, unknown> {
  return {
    ...pack.metadata,
    id: pack.id,
    uid: `pack:${pack.ref}`,
    ref: pack.ref,
    name: pack.name,
    version: pack.version,
    ...(pack.description === undefined ? {} : { description: pack.description }),
    ...(pack.author === undefined ? {} : { author: pack.author }),
    ...(pack.email === undefined ? {} : { email: pack.email }),
    keywords: pack.keywords ?? [],
    path: pack.path,
    ...(pack.source === undefined ? {} : { source: pack.source }),
    ...(pack.environment === undefined ? {} : { environment: packEnvironment(pack.environment) }),
    created_at: pack.createdAt,
    updated_at: pack.updatedAt,
  };
}

/**
 * The env as any reader sees it: kind, state, the interpreter it was built from, and an install's
 * build under way or failed. Never a path: the stored status holds none.
 */
function packEnvironment(environment: PackEnvironmentStatus): Record<string, unknown> {
  const { kind, state, python, builtAt, build } = environment;
  return {
    kind,
    state,
    ...(python && { python: { ...python, name: describePython(python) } }),
    ...(builtAt !== undefined && { built_at: builtAt }),
    ...(build && { build: { state: build.state, execution_id: build.execution, at: build.at, ...(build.error && { error: build.error }) } }),
  };
}

/**
 * The record without a build said to be under way by an execution that has ended: its process
 * died mid-install (the execution was abandoned), and nothing builds that env any more.
 */
async function withLiveBuild(store: Store, pack: PackRecord): Promise<PackRecord> {
  const build = pack.environment?.build;
  if (build?.state !== 'building') return pack;
  const execution = await store.executions.get(build.execution);
  if (execution && !isSettled(execution.status)) return pack;
  const environment = { ...pack.environment! };
  delete environment.build;
  return { ...pack, environment };
}

const packList = { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 2000 } } as const;
const asyncRequest = { type: 'object', properties: { execution_id: { type: 'string' } }, required: ['execution_id'] } as const;

export function packRoutes(app: FastifyInstance, deps: { store: Store; packs: PackOperations }): void {
  const { store, packs } = deps;

  app.get('/api/v1/packs', {
    config: { access: 'read' },
    schema: {
      summary: 'Installed packs',
      querystring: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, ref: { type: 'string', minLength: 1 }, ...st2ListQueryProperties } },
      response: { 200: { type: 'array', items: packSchema } },
    },
  }, async (request, reply) => {
    const query = request.query as St2ListQuery & { name?: string; ref?: string };
    const found = await store.packs.find({ ...(query.name ? { name: query.name } : {}), ...(query.ref ? { ref: query.ref } : {}) }, { sort: { id: 1 } });
    const packs = await Promise.all(found.map((pack) => withLiveBuild(store, pack)));
    return st2Page(reply, packs.map(st2Pack), query);
  });

  app.get('/api/v1/packs/:ref', {
    config: { access: 'read' },
    schema: { summary: 'One installed pack', params: refParams, response: { 200: packSchema, 404: errorSchema } },
  }, async (request) => {
    const { ref } = request.params as { ref: string };
    const pack = await store.packs.get(ref);
    if (!pack) throw new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, { details: { pack: ref } });
    return st2Pack(await withLiveBuild(store, pack));
  });

  app.post('/api/v1/packs/install', {
    config: { access: 'admin' },
    schema: {
      summary: 'Install packs (st2\'s body): a packs.install execution, whose output is the progress; answers its id',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          packs: { ...packList, description: 'name, name=version (pack index), git URL, URL=ref; Packrun\'s too: an absolute folder or .tar.gz path on the server, a .tar.gz URL. Installed together, dependencies first' },
          force: { type: 'boolean', default: false, description: 'install even if stackstorm_version or python_versions do not fit' },
          skip_dependencies: { type: 'boolean', default: false, description: 'only false: Packrun always installs a pack\'s dependencies' },
          python3: { type: 'boolean', description: 'accepted from older st2 clients; Packrun picks the pack\'s Python itself' },
        },
        required: ['packs'],
      },
      response: { 202: asyncRequest, 400: errorSchema, 403: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { packs: string[]; force: boolean; skip_dependencies: boolean };
    if (body.skip_dependencies) {
      throw new PackrunError('REQUEST_INVALID', 'skip_dependencies is not supported: a pack is installed with its dependencies', { details: { field: 'body.skip_dependencies' } });
    }
    const sources = body.packs.map(checkApiPackSource);
    const record = await packs.install({ packs: sources, force: body.force, user: request.user ?? 'anonymous' });
    return reply.status(202).header('location', `/api/v1/executions/${record.id}`).send({ execution_id: record.id });
  });

  app.post('/api/v1/packs/upgrade', {
    config: { access: 'admin' },
    schema: {
      summary: "Packrun's own (st2 installs again): install installed packs again from the sources they were installed from, as `packrun pack upgrade` (an index pack: its newest version); a packs.install execution, answers its id",
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          packs: { ...packList, description: 'refs of installed packs' },
          force: { type: 'boolean', default: false, description: 'install even if stackstorm_version or python_versions do not fit' },
        },
        required: ['packs'],
      },
      response: { 202: asyncRequest, 400: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { packs: string[]; force: boolean };
    const sources: string[] = [];
    for (const ref of body.packs) {
      const pack = await store.packs.get(validatePackRef(ref));
      if (!pack) throw new PackrunError('PACK_NOT_INSTALLED', `pack "${ref}" is not installed`, { details: { pack: ref } });
      if (pack.source === undefined) {
        throw new PackrunError('PACK_SOURCE_NOT_FOUND', `pack "${ref}" has no recorded source to install again from`, { details: { pack: ref } });
      }
      sources.push(checkApiPackSource(upgradeSource({ ref: pack.ref, source: pack.source })));
    }
    const record = await packs.install({ packs: sources, force: body.force, user: request.user ?? 'anonymous' });
    return reply.status(202).header('location', `/api/v1/executions/${record.id}`).send({ execution_id: record.id });
  });

  app.post('/api/v1/packs/uninstall', {
    config: { access: 'admin' },
    schema: {
      summary: 'Remove packs (st2\'s body): a packs.uninstall execution; answers its id',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          packs: { ...packList, items: { type: 'string', minLength: 1, maxLength: 300 } },
          force: { type: 'boolean', default: false, description: 'Packrun\'s: remove even if other installed packs depend on it' },
        },
        required: ['packs'],
      },
      response: { 202: asyncRequest, 400: errorSchema, 403: errorSchema },
    },
  }, async (request, reply) => {
    const body = request.body as { packs: string[]; force: boolean };
    const record = await packs.uninstall({ packs: body.packs, force: body.force, user: request.user ?? 'anonymous' });
    return reply.status(202).header('location', `/api/v1/executions/${record.id}`).send({ execution_id: record.id });
  });
}
