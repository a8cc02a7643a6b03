import type { FastifyInstance, FastifyRequest } from 'fastify';

interface QuerySchema {
  properties?: Record<string, { type?: unknown }>;
}

/**
 * st2's API reads a boolean query parameter without regard to case, and st2client's library sends
 * Python's spelling (`keys.get_by_name(name, decrypt=False)` asks `?decrypt=False`), which the
 * schema's coercion (`true`/`false` only) would refuse. Only parameters the route declares boolean
 * are touched, and only the two words: anything else still fails validation, naming it.
 */
function lowerCaseBooleans(request: FastifyRequest): void {
  const schema = request.routeOptions.schema?.querystring as QuerySchema | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  if (!schema?.properties || !query || typeof query !== 'object') return;
  for (const [name, spec] of Object.entries(schema.properties)) {
    const value = query[name];
    if (spec.type === 'boolean' && typeof value === 'string' && /^(true|false)$/i.test(value)) query[name] = value.toLowerCase();
  }
}

export function acceptPythonBooleans(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => lowerCaseBooleans(request));
}
