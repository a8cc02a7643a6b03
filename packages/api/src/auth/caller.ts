import { PackrunError, type ApiKeyRole, type PackCodeTokenScope, type RouteAccess } from '@packrun/core';
import type { CredentialLocation } from './credentials.ts';
import { atLeast } from './roles.ts';

/** How the caller proved who it is (StackStorm's `auth_info`, shown by `GET /api/v1/user`). */
export interface CallerCredential {
  kind: 'api-key' | 'token';
  location: CredentialLocation;
  /** A token's expiry. */
  expiresAt?: string;
}

/**
 * Who is calling, as the routes (and the services they call) need it. A route passes this on
 * when a service must act with the caller's rights rather than its own, e.g. to render
 * caller-given templates with only the datastore values the caller could read itself.
 */
export interface ApiCaller {
  /** The user the key belongs to: owner of its user-scoped datastore keys, recorded on what it starts. */
  user: string;
  role: ApiKeyRole;
  /** The key's id; absent when keys are not required (`PACKRUN_API_AUTH=false`). */
  keyId?: string;
  /**
   * Which datastore secrets this caller may see in clear: system-scoped ones (admin and up), and
   * those of its own user scope (operator and up). An observer and a runner key see neither.
   */
  mayDecrypt: { system: boolean; user: boolean };
  /** Absent when keys are not required, and for callers made inside the runtime. */
  credential?: CallerCredential;
  /** Pack code calling with the token the runtime minted for it: held to pack-code-access.ts's limits. */
  packCode?: PackCodeTokenScope & {
    /** The operator lets this pack write system keys outside its own (PACKRUN_DATASTORE_SYSTEM_WRITERS). */
    mayWriteSystem: boolean;
    /** The operator lets this pack read executions (PACKRUN_ACTION_API_EXECUTION_READERS) and its user reads every one. */
    readsAnyExecution: boolean;
  };
}

export function callerOf(options: { user: string; role: ApiKeyRole; keyId?: string; credential?: CallerCredential }): ApiCaller {
  return {
    ...options,
    mayDecrypt: { system: atLeast(options.role, 'admin'), user: atLeast(options.role, 'operator') },
  };
}

/** The caller when keys are not required: trusted like the operator who turned them off. */
export const unauthenticatedCaller: ApiCaller = callerOf({ user: 'anonymous', role: 'system_admin' });

/** 403 API_ROLE_FORBIDDEN: the key is valid, its role does not allow this. */
export function roleForbidden(caller: Pick<ApiCaller, 'role'>, what: string, needs: string, access?: RouteAccess): PackrunError {
  return new PackrunError('API_ROLE_FORBIDDEN', `a key with role ${caller.role} may not ${what}`, {
    hint: `this needs ${needs}; \`packrun api-key create --role <role>\` (by an admin) makes a key that may`,
    details: { role: caller.role, needs, ...(access ? { access } : {}) },
  });
}
