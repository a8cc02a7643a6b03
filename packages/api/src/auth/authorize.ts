import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PackrunError, routeAccessClasses, type RouteAccess, type Store } from '@packrun/core';
import { findEnabledKey, roleOf } from './api-key-records.ts';
import { callerOf, roleForbidden, unauthenticatedCaller, type ApiCaller } from './caller.ts';
import { roleHolds } from './roles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see RouteAccess); a route without it is refused at start-up. */
    access?: RouteAccess;
    /** Accept the key as `?api_key=` / `?st2-api-key=` (EventSource streams, webhook senders). */
    keyInQuery?: boolean;
  }
  interface FastifyRequest {
    /** The user the API key belongs to; set before any handler runs. */
    user?: string;
    /** Who is calling, with the role; set before any handler runs. */
    auth?: ApiCaller;
  }
}

interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess;
  keyInQuery: boolean;
}

const declaredRoutes = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/** Every route of the app with the access it declared, in registration order (HEAD routes included). */
export function listRouteAccess(app: FastifyInstance): readonly DeclaredRoute[] {
  return declaredRoutes.get(app) ?? [];
}

function isRouteAccess(value: unknown): value is RouteAccess {
  return typeof value === 'string' && (routeAccessClasses as readonly string[]).includes(value);
}

function undeclared(method: string, url: string): PackrunError {
  return new PackrunError('ROUTE_ACCESS_UNDECLARED', `route ${method} ${url} declares no access`, {
    hint: `give it config: { access: ${routeAccessClasses.map((name) => `'${name}'`).join(' | ')} }`,
    details: { method, url },
    userError: false,
  });
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'] ?? request.headers['st2-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  if (request.routeOptions.config.keyInQuery !== true) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.['api_key'] ?? query?.['st2-api-key'];
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}

/**
 * Authorization on the route fastify matched, never on the URL string: whatever the spelling of
 * the path (percent-encoded letters, dot segments, doubled slashes), the decision is the one of
 * the route that will answer. Must be installed before any route is registered: a route that
 * declares no `config.access` makes registration throw, so none can be forgotten.
 */
export function registerAuthorization(app: FastifyInstance, store: Store, options: { required: boolean }): void {
  const routes: DeclaredRoute[] = [];
  declaredRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    const method = [route.method].flat().join(',');
    const access = route.config?.access;
    if (!isRouteAccess(access)) throw undeclared(method, route.url);
    routes.push({ method, url: route.url, access, keyInQuery: route.config?.keyInQuery === true });
  });

  // onRequest hooks run once the router has chosen the route (or the not-found handler).
  app.addHook('onRequest', async (request) => {
    // The not-found handler answers 404 and shows nothing but the path asked for.
    if (request.is404) return;
    const { access } = request.routeOptions.config;
    if (!isRouteAccess(access)) throw undeclared(request.method, request.routeOptions.url ?? '?');
    if (access === 'public') {
      // No caller: a public route has nobody to authorize anything for.
      request.user = 'anonymous';
      return;
    }
    if (!options.required) {
      request.auth = unauthenticatedCaller;
      request.user = unauthenticatedCaller.user;
      return;
    }
    const key = presentedKey(request);
    if (key === undefined) {
      throw new PackrunError('API_KEY_MISSING', 'this route needs an API key', {
        hint: 'send it in the X-Api-Key (or St2-Api-Key) header; `packrun up` wrote one to PACKRUN_HOME/secrets/cli-api-key',
      });
    }
    const record = await findEnabledKey(store, key);
    if (!record) {
      throw new PackrunError('API_KEY_INVALID', 'the API key given is not valid or is disabled', {
        hint: 'check PACKRUN_API_KEY or PACKRUN_HOME/secrets/cli-api-key',
      });
    }
    const caller = callerOf({ user: record.user, role: roleOf(record), keyId: record.id });
    if (!roleHolds(caller.role, access)) {
      throw roleForbidden(caller, `call ${request.method} ${request.routeOptions.url ?? ''}`, `permission "${access}"`, access);
    }
    request.auth = caller;
    request.user = caller.user;
  });
}

/** The caller of a request that went through registerAuthorization. */
export function callerOfRequest(request: FastifyRequest): ApiCaller {
  if (!request.auth) throw new PackrunError('ROUTE_ACCESS_UNDECLARED', 'request reached a route without authorization', { userError: false });
  return request.auth;
}
