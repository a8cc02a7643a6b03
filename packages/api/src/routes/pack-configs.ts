import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyValues, PackrunConfig, Store } from '@packrun/core';
import { callerOfRequest } from '../auth/authorize.ts';
import { packConfigs } from '../packs/pack-configs.ts';
import { errorSchema, looseObject } from '../schemas.ts';

const packParams = {
  type: 'object',
  additionalProperties: false,
  properties: { pack_ref: { type: 'string', minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9_-]+$' } },
  required: ['pack_ref'],
} as const;

const showSecretsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { show_secrets: { type: 'boolean', description: "secrets in clear (st2's): only for a caller who may decrypt system secrets (admin); others get ********" } },
} as const;

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string' }, pack: { type: 'string' }, values: looseObject },
  required: ['id', 'pack', 'values'],
} as const;

const configSchemaSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { id: { type: 'string' }, pack: { type: 'string' }, attributes: looseObject },
  required: ['id', 'pack', 'attributes'],
} as const;

/** Whether this request sees secret values: it asked, and its caller may read system secrets. */
function showsSecrets(request: FastifyRequest): boolean {
  return (request.query as { show_secrets?: boolean }).show_secrets === true && callerOfRequest(request).mayDecrypt.system;
}

/**
 * st2's pack config routes (`st2 pack config`, st2web's pack settings): `/configs` and
 * `/config_schemas`. Reading is for every role, with secret attributes masked; writing is the
 * admin's, checked against the pack's config.schema.yaml before anything is written.
 */
export function packConfigRoutes(app: FastifyInstance, deps: { config: PackrunConfig; store: Store; keyValues: KeyValues }): void {
  const configs = packConfigs(deps);

  app.get('/api/v1/configs', {
    config: { access: 'read' },
    schema: { summary: "Every installed pack's config (configs/<pack>.yaml as written), secrets as ********", querystring: showSecretsQuery, response: { 200: { type: 'array', items: configSchema } } },
  }, async (request) => configs.list(showsSecrets(request)));

  app.get('/api/v1/configs/:pack_ref', {
    config: { access: 'read' },
    schema: { summary: "One pack's config as written (templates not rendered), secrets as ********", params: packParams, querystring: showSecretsQuery, response: { 200: configSchema, 404: errorSchema } },
  }, async (request) => configs.get((request.params as { pack_ref: string }).pack_ref, showsSecrets(request)));

  app.put('/api/v1/configs/:pack_ref', {
    config: { access: 'admin' },
    schema: {
      summary: "Write a pack's config (st2's body: the values). Checked against config.schema.yaml first (PACK_CONFIG_INVALID names the attribute; nothing is written); a secret sent as ******** keeps its stored value. Actions, sensors and rules read it at their next use",
      params: packParams,
      querystring: showSecretsQuery,
      body: looseObject,
      response: { 200: configSchema, 400: errorSchema, 403: errorSchema, 404: errorSchema },
    },
  }, async (request) => configs.put((request.params as { pack_ref: string }).pack_ref, request.body as Record<string, unknown>, showsSecrets(request)));

  app.get('/api/v1/config_schemas', {
    config: { access: 'read' },
    schema: { summary: "Every installed pack's config.schema.yaml, as st2's ConfigSchema {id, pack, attributes}", response: { 200: { type: 'array', items: configSchemaSchema } } },
  }, async () => configs.schemas());

  app.get('/api/v1/config_schemas/:pack_ref', {
    config: { access: 'read' },
    schema: { summary: "One pack's config.schema.yaml", params: packParams, response: { 200: configSchemaSchema, 404: errorSchema } },
  }, async (request) => configs.schema((request.params as { pack_ref: string }).pack_ref));
}
