import type { FastifyRequest } from 'fastify';
import {
  PackrunError,
  keyReadRefusal,
  keyWriteRefusal,
  localKeyOwner,
  packGetsApi,
  type AuthTokenRecord,
  type ExecutionRecord,
  type PackCodeTokenScope,
  type Store,
} from '@packrun/core';
import { roleOf } from './api-key-records.ts';
import { callerOf, type ApiCaller } from './caller.ts';
import type { CredentialLocation } from './credentials.ts';
import { roleHolds } from './roles.ts';

/**
 * What a token minted for pack code (ST2_ACTION_AUTH_TOKEN, ST2_AUTH_TOKEN; pack-code-tokens.ts in
 * core) may do: what StackStorm lets pack code do through st2client, and nothing else.
 *
 * Both kinds reach their pack's datastore keys, by the same rules as the job's own datastore
 * channel (pack-key-scope.ts: no other pack's `<pack>.<Class>:` keys, system keys outside its own
 * written only with PACKRUN_DATASTORE_SYSTEM_WRITERS), and the user scope of the token's user.
 * An action's also reads actions and starts executions, which run as the execution's user and
 * are linked to it (`context.started_by_execution`), and reads those, itself and what it descends
 * from (its workflows, the execution that started it). A sensor's also
 * dispatches triggers through st2's webhook, only its own pack's (as its sensor_service.dispatch).
 * An action of a pack the operator names in PACKRUN_ACTION_API_EXECUTION_READERS also reads and
 * lists any execution, while its user could (StackStorm's syslog_client reads the execution a
 * rule names; there an action's token is its user's).
 *
 * Every other route (API keys, packs, rules, other executions, tokens) is refused, whatever role
 * the token's user holds: the allow-lists below are matched on the route fastify chose, never on
 * the URL string.
 */
const datastoreRoutes = ['GET /api/v1/user', 'GET /api/v1/keys', 'GET /api/v1/keys/:name', 'PUT /api/v1/keys/:name', 'DELETE /api/v1/keys/:name'];
const allowedRoutes: Readonly<Record<PackCodeTokenScope['kind'], ReadonlySet<string>>> = {
  action: new Set([
    ...datastoreRoutes,
    'GET /api/v1/actions',
    'GET /api/v1/actions/:ref',
    'POST /api/v1/executions',
    'GET /api/v1/executions/:id',
    'GET /api/v1/executions/:id/result',
    'GET /api/v1/executions/:id/output',
  ]),
  sensor: new Set([...datastoreRoutes, 'POST /api/v1/webhooks/st2']),
};

/** What PACKRUN_ACTION_API_EXECUTION_READERS adds to an action's routes: reading, never cancel, re-run, pause or delete. */
const executionReaderRoutes: ReadonlySet<string> = new Set(['GET /api/v1/executions']);

/** Where the link from an execution started with a pack-code token to the execution that started it is kept. */
export const startedByField = 'started_by_execution';

/** Statuses during which an execution's job runs, and its token authenticates. */
const liveStatuses: ReadonlySet<string> = new Set(['running', 'canceling']);

function scopeEnded(scope: PackCodeTokenScope, why: string): PackrunError {
  return new PackrunError('TOKEN_EXPIRED', `the authentication token of ${scope.kind} ${scope.id} is no longer valid: ${why}`, {
    hint: 'a token given to pack code lives only as long as its execution (or sensor process)',
    details: { [scope.kind === 'action' ? 'execution' : 'sensor']: scope.id },
  });
}

/**
 * TOKEN_EXPIRED unless the execution a pack-code token was minted for still runs under its runner,
 * or the sensor it was minted for is still installed and enabled (its container deletes the token
 * when the process ends).
 */
export async function assertPackCodeTokenLive(store: Store, record: AuthTokenRecord): Promise<void> {
  const scope = record.execution as PackCodeTokenScope;
  if (scope.kind === 'sensor') {
    const sensor = await store.sensors.get(scope.holder);
    if (!sensor?.enabled) throw scopeEnded(scope, sensor ? 'the sensor is disabled' : 'the sensor is gone');
    return;
  }
  const execution = await store.executions.get(scope.id);
  if (!execution || !liveStatuses.has(execution.status) || execution.runnerId !== scope.holder) {
    throw scopeEnded(scope, execution ? `the execution is ${execution.status}` : 'the execution is gone');
  }
}

/** What the operator grants some packs' code beyond its scope (PACKRUN_DATASTORE_SYSTEM_WRITERS, PACKRUN_ACTION_API_EXECUTION_READERS). */
export interface PackCodeGrants {
  systemWriters: readonly string[];
  executionReaders: readonly string[];
}

/**
 * Whether `user` could read every execution through the role of one of their enabled API keys
 * (observer and up), asked at each request so that disabling the key withdraws what pack code
 * borrowed from it. A runner key's sight (its runners' executions) is not lent: it is bound to
 * that key's runners, not to the user.
 */
async function userReadsEveryExecution(store: Store, user: string): Promise<boolean> {
  const keys = await store.apiKeys.find({ user, enabled: true });
  return keys.some((key) => roleHolds(roleOf(key), 'read'));
}

/** The caller a live pack-code token stands for, or TOKEN_EXPIRED when its execution is over. */
export async function packCodeCaller(
  store: Store,
  record: AuthTokenRecord,
  location: CredentialLocation,
  grants: PackCodeGrants,
): Promise<ApiCaller> {
  const scope = record.execution as PackCodeTokenScope;
  await assertPackCodeTokenLive(store, record);
  const caller = callerOf({ user: record.user, role: 'operator', credential: { kind: 'token', location, expiresAt: record.expiresAt } });
  const readsAnyExecution = scope.kind === 'action' && packGetsApi(grants.executionReaders, scope.pack) && (await userReadsEveryExecution(store, record.user));
  // What the action's own datastore channel may decrypt; which names, packKeyRefusal decides.
  return {
    ...caller,
    mayDecrypt: { system: true, user: true },
    packCode: { ...scope, mayWriteSystem: grants.systemWriters.includes(scope.pack), readsAnyExecution },
  };
}

/** 403 for a route outside what pack code may call. */
export function assertPackCodeRoute(caller: ApiCaller, method: string, url: string): void {
  const route = `${method} ${url}`;
  if (!caller.packCode || allowedRoutes[caller.packCode.kind].has(route) || (caller.packCode.readsAnyExecution && executionReaderRoutes.has(route))) return;
  throw new PackrunError('TOKEN_SCOPE_FORBIDDEN', `the token of ${caller.packCode.kind} ${caller.packCode.id} (pack ${caller.packCode.pack}) may not call ${method} ${url}`, {
    hint: caller.packCode.kind === 'action'
      ? 'a token given to an action reaches its pack\'s datastore keys, the actions, and the executions it starts (other executions, read only, with the operator\'s PACKRUN_ACTION_API_EXECUTION_READERS); anything else needs an API key'
      : 'a token given to a sensor reaches its pack\'s datastore keys and dispatches its pack\'s triggers; anything else needs an API key',
    details: { pack: caller.packCode.pack, route: `${method} ${url}` },
  });
}

function datastoreDenied(scope: PackCodeTokenScope, reason: string): PackrunError {
  return new PackrunError('DATASTORE_ACCESS_DENIED', reason, { details: { pack: scope.pack } });
}

/**
 * Checks a datastore request of pack code against its pack's key scope: the key named in the
 * path, or for a listing the prefix, which must lie in the pack's own local keys (a listing is
 * not filtered after the fact, so one that could reach another pack's keys is refused).
 */
export function assertPackCodeKeys(request: FastifyRequest, caller: ApiCaller, wanted: { scope: 'system' | 'user'; write: boolean }): void {
  const scope = caller.packCode;
  if (!scope) return;
  const access = { pack: scope.pack, mayWriteSystem: scope.mayWriteSystem };
  const name = (request.params as { name?: unknown } | undefined)?.name;
  if (typeof name === 'string') {
    const refusal = wanted.write ? keyWriteRefusal(access, name, wanted.scope) : keyReadRefusal(access, name);
    if (refusal !== undefined) throw datastoreDenied(scope, refusal);
    return;
  }
  const prefix = (request.query as { prefix?: unknown } | undefined)?.prefix;
  const ownPrefix = typeof prefix === 'string' && prefix.includes(':') && localKeyOwner(prefix) === scope.pack;
  if (!ownPrefix) {
    throw datastoreDenied(scope, `pack "${scope.pack}" lists datastore keys through the API only under its own local prefix ("${scope.pack}.<Class>:"); its action_service lists the rest`);
  }
}

/**
 * What led to `execution`: the workflow it is a task of (`parent`, which only the execution service
 * sets, never a request's context) or the execution whose pack code started it (the route sets
 * `context.started_by_execution` and drops any a caller gave).
 */
function originOf(execution: ExecutionRecord): string | undefined {
  if (execution.parent !== undefined) return execution.parent;
  const startedBy: unknown = execution.context?.[startedByField];
  return typeof startedBy === 'string' ? startedBy : undefined;
}

/** Whether `ancestor` is among the executions `from` descends from (`from` itself included). */
async function descendsFrom(lookup: (id: string) => Promise<ExecutionRecord | undefined>, from: ExecutionRecord | undefined, ancestor: string, via: (record: ExecutionRecord) => string | undefined): Promise<boolean> {
  let current = from;
  for (let depth = 0; current && depth < 32; depth += 1) {
    if (current.id === ancestor) return true;
    const next = via(current);
    if (next === undefined) return false;
    current = await lookup(next);
  }
  return false;
}

/**
 * Whether `caller`, pack code, may read `execution`: its own, one it (or one of those) started,
 * or one its own descends from: the workflows it is a task of and the execution that started it
 * (StackStorm's jinja.render_file reads its workflow's execution with include_execution). Never a
 * sibling, another task's, or anything else of the user's, unless the operator made its pack an
 * execution reader and its user reads every execution anyway.
 */
export async function packCodeMayRead(
  lookup: (id: string) => Promise<ExecutionRecord | undefined>,
  caller: ApiCaller,
  execution: ExecutionRecord,
): Promise<boolean> {
  const scope = caller.packCode;
  if (!scope || scope.readsAnyExecution) return true;
  const startedByOf = (record: ExecutionRecord): string | undefined => {
    const startedBy: unknown = record.context?.[startedByField];
    return typeof startedBy === 'string' ? startedBy : undefined;
  };
  if (await descendsFrom(lookup, execution, scope.id, startedByOf)) return true;
  return descendsFrom(lookup, await lookup(scope.id), execution.id, originOf);
}

/** EXECUTION_NOT_FOUND, as for an id that does not exist: pack code learns nothing of other executions. */
export function hiddenExecution(id: string): PackrunError {
  return new PackrunError('EXECUTION_NOT_FOUND', `execution "${id}" does not exist`, { details: { execution: id } });
}
