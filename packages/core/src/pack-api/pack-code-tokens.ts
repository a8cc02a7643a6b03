import { randomBytes } from 'node:crypto';
import { hashApiKey, newId } from '../store/record-keys.ts';
import type { AuthTokenRecord, PackCodeTokenScope, Store } from '../store/types.ts';

/**
 * Tokens the runtime mints for pack code (StackStorm's ST2_ACTION_AUTH_TOKEN for an execution,
 * ST2_AUTH_TOKEN for a sensor). Stored like any token, by its SHA-256 only; the token itself
 * exists in the runner's memory and the job's environment, nowhere else. The API holds each to
 * its scope (packages/api/src/auth/pack-code-access.ts) and to its life: it authenticates only
 * while its execution is held by the runner it was minted for and still running, and it is
 * deleted when that ends (revokePackCodeTokens), whichever comes first.
 */
export async function mintPackCodeToken(
  store: Store,
  options: { scope: PackCodeTokenScope; user: string; ttlSeconds: number },
): Promise<string> {
  const now = new Date();
  const token = randomBytes(32).toString('hex');
  const record: AuthTokenRecord = {
    id: newId(),
    tokenHash: hashApiKey(token),
    user: options.user,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000).toISOString(),
    execution: options.scope,
    executionId: options.scope.id,
  };
  await store.authTokens.insert(record);
  return token;
}

/**
 * The id a sensor's tokens are minted under: the sensor's job id (its PACKRUN_EXECUTION_ID), the
 * same for every run, so that a run's start revokes whatever an earlier run of it left behind (a
 * runtime that died before it could revoke) and only one run's token authenticates at a time.
 */
export function sensorTokenScopeId(sensorRef: string): string {
  return `sensor-${sensorRef}`;
}

/** Deletes every token minted for execution (or sensor run) `id`: from now on they authenticate nobody. */
export async function revokePackCodeTokens(store: Store, id: string): Promise<void> {
  await store.authTokens.remove({ executionId: id });
}
