import { PackrunError } from '../errors.ts';
import { decryptSecret, encryptSecret } from './datastore-crypto.ts';
import { keyValueId } from './record-keys.ts';
import type { KeyValueEntry, KeyValueGetOptions, KeyValueListOptions, KeyValueRecord, KeyValues, KeyValueScope, KeyValueSetOptions, Store } from './types.ts';

/**
 * The datastore with StackStorm's semantics on top of the store: names per scope (`system`, or
 * `user` per user), secrets encrypted at rest and decrypted only when asked, and a ttl after which a
 * key reads as absent (and is removed when next seen).
 */
export interface KeyValueServiceOptions {
  store: Pick<Store, 'keyValues'>;
  /** Called once, on the first secret stored or decrypted (creating a key file is a side effect). */
  loadKey: () => Buffer;
  /** Clock, for tests of expiry. */
  now?: () => Date;
  /**
   * Told of every stored change (the datastore's internal triggers: key-value-triggers.ts); not
   * awaited, so a slow or failing listener never fails or delays the write.
   */
  onChange?: (change: KeyValueChange) => void;
}

/** A stored change, with the records as they were and are (secret values still encrypted). */
export type KeyValueChange =
  | { operation: 'create'; record: KeyValueRecord }
  | { operation: 'update'; record: KeyValueRecord; previous: KeyValueRecord; valueChanged: boolean }
  | { operation: 'delete'; record: KeyValueRecord };

function invalid(message: string, details: Record<string, unknown>): PackrunError {
  return new PackrunError('KV_INVALID', message, { details });
}

export class KeyValueService implements KeyValues {
  private key: Buffer | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: KeyValueServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private cryptoKey(): Buffer {
    this.key ??= this.options.loadKey();
    return this.key;
  }

  private where(name: string, options: { scope?: KeyValueScope; user?: string }): { scope: KeyValueScope; user?: string; id: string } {
    if (typeof name !== 'string' || name === '') throw invalid('a datastore key needs a non-empty name', { name });
    const scope = options.scope ?? 'system';
    if (scope !== 'system' && scope !== 'user') throw invalid(`datastore scope "${String(scope)}" is not system or user`, { name, scope });
    if (scope === 'user' && (options.user === undefined || options.user === '')) {
      throw invalid(`the user-scoped datastore key "${name}" needs a user`, { name, scope });
    }
    const user = scope === 'user' ? options.user : undefined;
    return { scope, ...(user === undefined ? {} : { user }), id: keyValueId(scope, name, user) };
  }

  private expired(record: KeyValueRecord): boolean {
    return record.expiresAt !== undefined && record.expiresAt <= this.now().toISOString();
  }

  private async forget(record: KeyValueRecord): Promise<void> {
    await this.options.store.keyValues.remove({ id: record.id, expiresAt: { $lte: this.now().toISOString() } });
  }

  private entry(record: KeyValueRecord, decrypt: boolean): KeyValueEntry {
    const value = record.secret && decrypt ? decryptSecret(this.cryptoKey(), record.value, record.name) : record.value;
    return {
      name: record.name,
      scope: record.scope,
      ...(record.user === undefined ? {} : { user: record.user }),
      value,
      secret: record.secret,
      ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
    };
  }

  async get(name: string, options: KeyValueGetOptions = {}): Promise<KeyValueEntry | undefined> {
    const { id } = this.where(name, options);
    const record = await this.options.store.keyValues.get(id);
    if (record === undefined) return undefined;
    if (this.expired(record)) {
      await this.forget(record);
      return undefined;
    }
    return this.entry(record, options.decrypt === true);
  }

  async set(name: string, value: string, options: KeyValueSetOptions = {}): Promise<KeyValueEntry> {
    const where = this.where(name, options);
    if (typeof value !== 'string') throw invalid(`the value of datastore key "${name}" must be a string`, { name });
    if (options.ttl !== undefined && !(Number.isFinite(options.ttl) && options.ttl > 0)) {
      throw invalid(`the ttl of datastore key "${name}" must be a positive number of seconds`, { name, ttl: options.ttl });
    }
    const now = this.now();
    const existing = await this.options.store.keyValues.get(where.id);
    const secret = options.encrypt === true;
    const record: KeyValueRecord = {
      id: where.id,
      name,
      scope: where.scope,
      ...(where.user === undefined ? {} : { user: where.user }),
      value: secret ? encryptSecret(this.cryptoKey(), value) : value,
      secret,
      ...(options.ttl === undefined ? {} : { expiresAt: new Date(now.getTime() + options.ttl * 1000).toISOString() }),
      createdAt: existing === undefined || this.expired(existing) ? now.toISOString() : existing.createdAt,
      updatedAt: now.toISOString(),
    };
    await this.options.store.keyValues.put(record);
    const live = existing !== undefined && !this.expired(existing) ? existing : undefined;
    this.options.onChange?.(
      live === undefined
        ? { operation: 'create', record }
        : { operation: 'update', record, previous: live, valueChanged: this.clearValue(live) !== value || live.secret !== secret },
    );
    return this.entry(record, false);
  }

  /** A record's value in clear, for comparing an update with what it replaced (undefined if it no longer decrypts). */
  private clearValue(record: KeyValueRecord): string | undefined {
    if (!record.secret) return record.value;
    try {
      return decryptSecret(this.cryptoKey(), record.value, record.name);
    } catch {
      return undefined;
    }
  }

  async delete(name: string, options: Pick<KeyValueGetOptions, 'scope' | 'user'> = {}): Promise<boolean> {
    const { id } = this.where(name, options);
    const existing = this.options.onChange ? await this.options.store.keyValues.get(id) : undefined;
    const removed = (await this.options.store.keyValues.remove({ id })) > 0;
    if (removed && existing !== undefined) this.options.onChange?.({ operation: 'delete', record: existing });
    return removed;
  }

  async list(options: KeyValueListOptions = {}): Promise<KeyValueEntry[]> {
    const scope = options.scope ?? 'system';
    if (scope === 'user' && (options.user === undefined || options.user === '')) {
      throw invalid('listing user-scoped datastore keys needs a user', { scope });
    }
    const prefix = options.prefix ?? '';
    const records = await this.options.store.keyValues.find(
      { scope, ...(scope === 'user' ? { user: options.user } : {}), ...(prefix === '' ? {} : { name: { $gte: prefix } }) },
      { sort: { name: 1 } },
    );
    const entries: KeyValueEntry[] = [];
    for (const record of records) {
      if (!record.name.startsWith(prefix)) continue;
      if (this.expired(record)) {
        await this.forget(record);
        continue;
      }
      entries.push(this.entry(record, options.decrypt === true));
    }
    return entries;
  }
}
