import type { FastifyRequest } from 'fastify';
import { servedExecutionHeader, type KeyValueScope, type Store } from '@packrun/core';
import { callerOfRequest } from './authorize.ts';
import { roleForbidden, type ApiCaller } from './caller.ts';
import { assertPackCodeKeys } from './pack-code-access.ts';
import { assertHoldsExecution } from './runner-binding.ts';
import { atLeast } from './roles.ts';

interface DatastoreRequest {
  scope: KeyValueScope;
  /** The owner asked for (user scope); default: the caller's own user. */
  user?: string;
  decrypt: boolean;
  write: boolean;
}

interface DatastoreOwner {
  scope: KeyValueScope;
  user?: string;
}

/**
 * Which keys a datastore request reaches, or 403. Anyone but a runner reads the system scope and
 * its own user scope; another user's keys, decrypting system-scoped secrets and writing system-scoped
 * keys need admin; decrypting one's own secrets needs operator (an observer never decrypts). A
 * runner key acts only for an execution its runner holds (the X-Packrun-Execution header), with
 * what the action running there may do: both scopes, decrypted, the execution's user as owner.
 */
export async function datastoreOwner(request: FastifyRequest, store: Store, wanted: DatastoreRequest): Promise<DatastoreOwner> {
  const caller = callerOfRequest(request);
  if (caller.packCode) {
    // Pack code: its pack's keys (pack-code-access.ts) and the user scope of the user it runs as.
    assertPackCodeKeys(request, caller, wanted);
    if (wanted.user !== undefined && wanted.user !== caller.user) {
      throw roleForbidden(caller, `reach the user-scoped keys of user "${wanted.user}"`, `the user of ${caller.packCode.kind} ${caller.packCode.id}`);
    }
    return wanted.scope === 'user' ? { scope: 'user', user: caller.user } : { scope: 'system' };
  }
  const owner = caller.role === 'runner' ? await servedUser(request, store, caller, wanted.user) : ownerFor(caller, wanted);
  return wanted.scope === 'user' ? { scope: 'user', user: owner } : { scope: 'system' };
}

function ownerFor(caller: ApiCaller, wanted: DatastoreRequest): string {
  const owner = wanted.user ?? caller.user;
  const admin = atLeast(caller.role, 'admin');
  if (wanted.scope === 'user' && owner !== caller.user && !admin) {
    throw roleForbidden(caller, `reach the user-scoped keys of user "${owner}"`, 'admin');
  }
  if (wanted.decrypt && !caller.mayDecrypt[wanted.scope]) {
    throw roleForbidden(caller, `decrypt ${wanted.scope}-scoped secrets`, wanted.scope === 'system' ? 'admin' : 'operator or above');
  }
  if (wanted.write && wanted.scope === 'system' && !admin) {
    throw roleForbidden(caller, 'write system-scoped keys', 'admin');
  }
  return owner;
}

async function servedUser(request: FastifyRequest, store: Store, caller: ApiCaller, wantedUser: string | undefined): Promise<string> {
  const executionId = request.headers[servedExecutionHeader];
  if (typeof executionId !== 'string' || executionId === '') {
    throw roleForbidden(caller, 'use the datastore outside an execution it runs', `an ${servedExecutionHeader} header naming an execution its runner holds`);
  }
  const execution = assertHoldsExecution(caller, await store.executions.get(executionId), executionId);
  const owner = execution.user ?? 'anonymous';
  if (wantedUser !== undefined && wantedUser !== owner) {
    throw roleForbidden(caller, `reach the user-scoped keys of user "${wantedUser}"`, `the user of execution ${execution.id}`);
  }
  return owner;
}
