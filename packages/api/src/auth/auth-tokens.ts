import { randomBytes } from 'node:crypto';
import { assertPackCodeTokenLive } from './pack-code-access.ts';
import { PackrunError, hashApiKey, newId, nowIso, type ApiKeyRecord, type AuthTokenRecord, type Store } from '@packrun/core';

/**
 * Authentication tokens (StackStorm's `X-Auth-Token`): short-lived credentials minted from an API
 * key. Like keys, only their SHA-256 is stored (32 random bytes need no salt or slow hash). A token
 * acts with its key's user and role and is valid only while that key exists and is enabled, so
 * revoking a key revokes every token it minted, at once and without a sweep.
 */

/** st2's token_ttl is both the default and the ceiling of a token's life. */
export async function mintToken(
  store: Store,
  options: { key: ApiKeyRecord; ttlSeconds: number | undefined; maxTtlSeconds: number },
): Promise<{ token: string; record: AuthTokenRecord }> {
  const ttl = options.ttlSeconds ?? options.maxTtlSeconds;
  if (ttl > options.maxTtlSeconds) {
    throw new PackrunError('TOKEN_TTL_TOO_LARGE', `TTL specified ${ttl} is greater than max allowed ${options.maxTtlSeconds}`, {
      hint: `ask for at most ${options.maxTtlSeconds} seconds, or have the operator raise PACKRUN_TOKEN_TTL_MAX`,
      details: { field: 'body.ttl', max: options.maxTtlSeconds, setting: 'PACKRUN_TOKEN_TTL_MAX' },
    });
  }
  const now = new Date();
  // Expired tokens are never valid again: each mint clears them, so the collection holds at most
  // the tokens minted within one maximum lifetime.
  await store.authTokens.remove({ expiresAt: { $lte: now.toISOString() } });
  const token = randomBytes(32).toString('hex');
  const record: AuthTokenRecord = {
    id: newId(),
    tokenHash: hashApiKey(token),
    apiKeyId: options.key.id,
    user: options.key.user,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttl * 1000).toISOString(),
  };
  await store.authTokens.insert(record);
  return { token, record };
}

/** The stored token, whoever minted it, unless unknown (TOKEN_INVALID) or expired (TOKEN_EXPIRED). */
export async function findLiveToken(store: Store, token: string): Promise<AuthTokenRecord> {
  const record = await store.authTokens.findOne({ tokenHash: hashApiKey(token) });
  if (!record) {
    throw new PackrunError('TOKEN_INVALID', 'the authentication token given is not valid', {
      hint: 'get a new one: POST /auth/v1/tokens with an API key (st2 auth <user> -p <API key>)',
    });
  }
  if (record.expiresAt <= nowIso()) {
    throw new PackrunError('TOKEN_EXPIRED', `the authentication token expired at ${record.expiresAt}`, {
      hint: 'get a new one: POST /auth/v1/tokens with an API key (st2 auth <user> -p <API key>)',
      details: { expiry: record.expiresAt },
    });
  }
  return record;
}

/** The token and the key it acts for; TOKEN_INVALID or TOKEN_EXPIRED otherwise (a token minted for pack code has no key: pack-code-access.ts). */
export async function resolveToken(store: Store, token: string): Promise<{ record: AuthTokenRecord; key: ApiKeyRecord }> {
  const record = await findLiveToken(store, token);
  const key = record.apiKeyId === undefined ? undefined : await store.apiKeys.get(record.apiKeyId);
  if (!key?.enabled) {
    throw new PackrunError('TOKEN_INVALID', 'the authentication token given is not valid: the API key it was created with is revoked', {
      hint: 'get a new one with a valid API key',
    });
  }
  return { record, key };
}

/** True for a token that would authenticate now (st2's POST /auth/v1/tokens/validate). */
export async function isValidToken(store: Store, token: string): Promise<boolean> {
  try {
    const record = await findLiveToken(store, token);
    // A token minted for pack code has no key: it lives as long as its execution (pack-code-access.ts).
    if (record.execution) await assertPackCodeTokenLive(store, record);
    else await resolveToken(store, token);
    return true;
  } catch (error) {
    if (error instanceof PackrunError && (error.code === 'TOKEN_INVALID' || error.code === 'TOKEN_EXPIRED')) return false;
    throw error;
  }
}
