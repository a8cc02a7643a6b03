import type { FastifyInstance } from 'fastify';
import { checkJsonBytes, type JsonBounds } from '@packrun/core';

/** Which bounds a route's JSON body is held to: `report` for a runner's report of a result. */
export type BodyBounds = 'input' | 'report';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default `input` (PACKRUN_INPUT_*); `report` for bodies that carry a whole result and its output. */
    bodyBounds?: BodyBounds;
  }
}

/**
 * Every JSON body is checked against its route's bounds (limits/json-limits.ts) in one pass over
 * the bytes, before it is parsed: a body nested 100,000 levels deep, or holding a string or an
 * array past the limits, is refused with a 400 or 413 naming the limit without costing more than
 * its size, and nothing after the parse (schemas, templates, the store) ever sees it. The parse
 * itself stays fastify's (prototype poisoning refused).
 */
export function registerBoundedJsonBody(app: FastifyInstance, bounds: Record<BodyBounds, JsonBounds>): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const held = bounds[request.routeOptions.config.bodyBounds ?? 'input'];
    try {
      checkJsonBytes(body as Buffer, held.limits, held.subject);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parse(request, (body as Buffer).toString('utf8'), done);
  });
}
