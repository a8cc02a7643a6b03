import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-errors.ts';

/** Request headers a cross-origin page may send: the credentials st2's clients use and a JSON body. */
const allowedHeaders = 'Content-Type, X-Auth-Token, St2-Api-Key, X-Api-Key';
const allowedMethods = 'GET, HEAD, POST, PUT, PATCH, DELETE';
/** Response headers such a page may read: the list total and where a created resource is. */
const exposedHeaders = 'X-Total-Count, Location';

/**
 * CORS for the API. The web UI the API serves is same-origin and needs none; a page of another
 * origin gets answers only when the operator named that origin (PACKRUN_API_CORS_ORIGINS). A
 * preflight from any other origin is refused with 403, so its browser never sends the request.
 * Registered before the authorization hook: a preflight carries no credentials, by the standard.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  const allowed = new Set(allowedOrigins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return;
    reply.header('vary', 'Origin');
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (!allowed.has(origin)) {
      if (!preflight) return;
      sendError(reply, 403, {
        code: 'CORS_ORIGIN_REFUSED',
        message: `cross-origin requests from ${origin} are not allowed`,
        hint: 'add the origin to PACKRUN_API_CORS_ORIGINS on the server to allow its pages to call this API',
      });
      return reply;
    }
    reply.header('access-control-allow-origin', origin);
    if (!preflight) {
      reply.header('access-control-expose-headers', exposedHeaders);
      return;
    }
    reply
      .header('access-control-allow-methods', allowedMethods)
      .header('access-control-allow-headers', allowedHeaders)
      .header('access-control-max-age', '600')
      .status(204)
      .send();
    return reply;
  });
}
