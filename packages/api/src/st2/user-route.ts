import type { FastifyInstance } from 'fastify';
import type { PackrunConfig } from '@packrun/core';
import { callerOfRequest } from '../auth/authorize.ts';
import type { CallerCredential } from '../auth/caller.ts';
import { atLeast } from '../auth/roles.ts';

/** st2's auth_info: `method` as st2's router names it, `location` where the credential came from. */
function authentication(credential: CallerCredential | undefined): Record<string, string> {
  if (credential === undefined) return { method: 'none', location: 'none' };
  return {
    method: credential.kind === 'token' ? 'authentication token' : 'API key',
    // The password of Basic auth is a header too; st2's auth_info knows header, query and cookie.
    location: credential.location === 'query' ? 'query' : 'header',
    ...(credential.expiresAt === undefined ? {} : { token_expire: `${credential.expiresAt.slice(0, 19)}Z` }),
  };
}

/** `GET /api/v1/user`: who is calling, as StackStorm's API answers it (`st2 whoami`). */
export function st2UserRoute(app: FastifyInstance, deps: { config: PackrunConfig }): void {
  app.get('/api/v1/user', {
    config: { access: 'self' },
    schema: {
      summary: 'The caller as StackStorm reports it: user name, how it authenticated, its RBAC role (st2 whoami)',
      response: {
        200: {
          type: 'object',
          properties: {
            username: { type: 'string' },
            authentication: {
              type: 'object',
              properties: { method: { type: 'string' }, location: { type: 'string' }, token_expire: { type: 'string' } },
              required: ['method', 'location'],
            },
            rbac: {
              type: 'object',
              properties: { enabled: { type: 'boolean' }, roles: { type: 'array', items: { type: 'string' } }, is_admin: { type: 'boolean' } },
              required: ['enabled', 'roles', 'is_admin'],
            },
          },
          required: ['username', 'authentication', 'rbac'],
        },
      },
    },
  }, async (request) => {
    const caller = callerOfRequest(request);
    return {
      username: caller.user,
      authentication: authentication(caller.credential),
      // Packrun's role names are st2's RBAC role names: system_admin, admin and observer are st2's
      // system roles with the same meaning; operator and runner are Packrun's own, reported as st2
      // reports a custom role (docs/stackstorm-compatibility.md, "Roles").
      rbac: { enabled: deps.config.apiAuth, roles: [caller.role], is_admin: atLeast(caller.role, 'admin') },
    };
  });
}
