import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PackrunError, routeAccessClasses, type RouteAccess, type Store } from '@packrun/core';
import { findEnabledKey, roleOf } from './api-key-records.ts';
import { findLiveToken, resolveToken } from './auth-tokens.ts';
import { callerOf, roleForbidden, unauthenticatedCaller, type ApiCaller } from './caller.ts';
import { basicCredentials, dropCredentialParameters, presentedCredential, type PresentedCredential } from './credentials.ts';
import { assertPackCodeRoute, packCodeCaller, type PackCodeGrants } from './pack-code-access.ts';
import { roleHolds } from './roles.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see RouteAccess); a route without it is refused at start-up. */
    access?: RouteAccess;
    /** Accept the key as Packrun's `?api_key=` too (EventSource streams, webhook senders); st2's `?st2-api-key=` and `?x-auth-token=` are accepted everywhere. */
    keyInQuery?: boolean;
    /**
     * Only an API key authenticates here, also as the password of HTTP Basic auth (what `st2 auth`
     * sends); a token does not, so that no token can mint another and outlive its ttl.
     */
    keyOnly?: boolean;
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
  keyOnly: boolean;
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

/** The caller a credential stands for: an enabled API key's, or a live token's key's. */
async function authenticate(store: Store, credential: PresentedCredential, grants: PackCodeGrants): Promise<ApiCaller> {
  if (credential.kind === 'token') {
    const live = await findLiveToken(store, credential.value);
    if (live.execution) return packCodeCaller(store, live, credential.location, grants);
    const { record, key } = await resolveToken(store, credential.value);
    return callerOf({ user: key.user, role: roleOf(key), keyId: key.id, credential: { kind: 'token', location: credential.location, expiresAt: record.expiresAt } });
  }
  const record = await findEnabledKey(store, credential.value);
  if (!record && credential.location === 'basic') {
    throw new PackrunError('API_KEY_INVALID', 'the password given is not a valid API key: Packrun has no user/password login', {
      hint: 'give an enabled API key of that user as the password (`st2 auth <user> -p <API key>`), or send the key in the St2-Api-Key header',
    });
  }
  if (!record) {
    throw new PackrunError('API_KEY_INVALID', 'the API key given is not valid or is disabled', {
      hint: 'check PACKRUN_API_KEY (ST2_API_KEY for the st2 client) or PACKRUN_HOME/secrets/cli-api-key',
    });
  }
  return callerOf({ user: record.user, role: roleOf(record), keyId: record.id, credential: { kind: 'api-key', location: credential.location } });
}

/** 401 for a request that presents nothing this route takes, saying what it would take. */
function missingCredential(request: FastifyRequest, route: { keyOnly: boolean }, tokenPresented: boolean): PackrunError {
  if (route.keyOnly) {
    const why = tokenPresented
      ? 'a token cannot create tokens'
      : basicCredentials(request) !== undefined ? 'Packrun has no user/password login' : 'no API key was given';
    return new PackrunError('TOKEN_NEEDS_API_KEY', `creating a token needs an API key: ${why}`, {
      hint: 'send the key in the St2-Api-Key (or X-Api-Key) header, or as the password of `st2 auth <user> -p <API key>` for the key\'s user',
    });
  }
  return new PackrunError('API_KEY_MISSING', 'this route needs an API key or an authentication token', {
    hint: 'send a key in the X-Api-Key (or St2-Api-Key) header, or a token (POST /auth/v1/tokens) in X-Auth-Token; `packrun up` wrote a key to PACKRUN_HOME/secrets/cli-api-key',
  });
}

/**
 * Authorization on the route fastify matched, never on the URL string: whatever the spelling of
 * the path (percent-encoded letters, dot segments, doubled slashes), the decision is the one of
 * the route that will answer. Must be installed before any route is registered: a route that
 * declares no `config.access` makes registration throw, so none can be forgotten.
 */
export function registerAuthorization(
  app: FastifyInstance,
  store: Store,
  options: {
    required: boolean;
    /** PACKRUN_DATASTORE_SYSTEM_WRITERS: what pack code calling with its token may write (pack-code-access.ts). */
    datastoreSystemWriters?: readonly string[];
    /** PACKRUN_ACTION_API_EXECUTION_READERS: which packs' action tokens read executions beyond their own (pack-code-access.ts). */
    executionReaders?: readonly string[];
  },
): void {
  const routes: DeclaredRoute[] = [];
  declaredRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    const method = [route.method].flat().join(',');
    const access = route.config?.access;
    if (!isRouteAccess(access)) throw undeclared(method, route.url);
    routes.push({ method, url: route.url, access, keyInQuery: route.config?.keyInQuery === true, keyOnly: route.config?.keyOnly === true });
  });

  // onRequest hooks run once the router has chosen the route (or the not-found handler).
  app.addHook('onRequest', async (request) => {
    // The not-found handler answers 404 and shows nothing but the path asked for.
    if (request.is404) return;
    const { access } = request.routeOptions.config;
    if (!isRouteAccess(access)) throw undeclared(request.method, request.routeOptions.url ?? '?');
    const routeFlags = { keyInQuery: request.routeOptions.config.keyInQuery === true, keyOnly: request.routeOptions.config.keyOnly === true };
    const { credential, tokenPresented } = presentedCredential(request, routeFlags);
    // Read here and nowhere else: closed query schemas must not refuse them, handlers never see them.
    dropCredentialParameters(request, routeFlags);
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
    if (credential === undefined) throw missingCredential(request, routeFlags, tokenPresented);
    const caller = await authenticate(store, credential, { systemWriters: options.datastoreSystemWriters ?? [], executionReaders: options.executionReaders ?? [] });
    assertPackCodeRoute(caller, request.method, request.routeOptions.url ?? '');
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
