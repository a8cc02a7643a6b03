import type { RouteAccess } from '@packrun/core';

// The API app refuses a route that does not declare who may call it (see RouteAccess).
declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    keyInQuery?: boolean;
  }
}
