import { randomBytes } from 'node:crypto';
import { hashApiKey, newId, nowIso, type ApiKeyRecord, type ApiKeyRole, type Logger, type Store } from '@packrun/core';

/**
 * A new API key: 32 random bytes, of which only the sha256 is stored (random keys need no salt or
 * slow hash). The key itself is returned once, to be shown or written to a 0600 file.
 */
export async function createApiKey(
  store: Store,
  options: { user: string; role: ApiKeyRole; description?: string; metadata?: Record<string, unknown> },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = `pk_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id: newId(),
    keyHash: hashApiKey(key),
    user: options.user,
    role: options.role,
    enabled: true,
    createdAt: nowIso(),
  };
  if (options.description !== undefined) record.description = options.description;
  if (options.metadata !== undefined) record.metadata = options.metadata;
  await store.apiKeys.insert(record);
  return { key, record };
}

/** The enabled key record for a presented key, if any. */
export async function findEnabledKey(store: Store, key: string): Promise<ApiKeyRecord | undefined> {
  const record = await store.apiKeys.findOne({ keyHash: hashApiKey(key) });
  return record?.enabled ? record : undefined;
}

/**
 * Keys stored before roles existed could do everything, so they keep working as `admin`: all they
 * could do before except create admin keys, which no key could tell apart from others then.
 */
const legacyRole: ApiKeyRole = 'admin';

export function roleOf(record: ApiKeyRecord): ApiKeyRole {
  return record.role ?? legacyRole;
}

/**
 * Writes a role onto every key stored without one (`admin`), logging each once: the next start
 * finds none. The CLI key gets `system_admin` before this runs (ensureCliKey).
 */
export async function assignLegacyKeyRoles(store: Store, logger: Logger): Promise<number> {
  const legacy = await store.apiKeys.find({ role: { $exists: false } });
  for (const record of legacy) {
    await store.apiKeys.update({ id: record.id, role: { $exists: false } }, { set: { role: legacyRole } });
    logger.warn(
      { apiKey: record.id, user: record.user, description: record.description, role: legacyRole },
      'API key stored without a role now has role admin; to narrow it, create a key with the role it needs (`packrun api-key create --role runner|operator|observer`), use it instead, then `packrun api-key delete` this one',
    );
  }
  return legacy.length;
}
