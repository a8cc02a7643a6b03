import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataPaths, KeyValueEntry, KeyValueGetOptions, KeyValueListOptions, KeyValues, KeyValueSetOptions } from '@packrun/core';

interface StoredKey {
  name: string;
  scope: 'system' | 'user';
  user?: string;
  value: string;
  secret: boolean;
  expiresAt?: string;
}

/**
 * A datastore in one JSON file, PACKRUN_HOME/kv.json, secrets encrypted with AES-256-GCM under a
 * key in PACKRUN_HOME/secrets/local-kv.key: for tests that run actions with runAction and no store.
 * It is the format of the CLI's separate datastore in earlier versions, so tests also use it to
 * write a kv.json the import (packages/cli/src/local-store/legacy-kv-import.ts) must read.
 */
export class LocalFileKeyValues implements KeyValues {
  private readonly file: string;
  private readonly keyFile: string;

  constructor(paths: DataPaths) {
    this.file = path.join(paths.home, 'kv.json');
    this.keyFile = path.join(paths.home, 'secrets', 'local-kv.key');
  }

  async get(name: string, options: KeyValueGetOptions = {}): Promise<KeyValueEntry | undefined> {
    const stored = (await this.read())[this.id(name, options)];
    return stored ? this.entry(stored, options.decrypt === true) : undefined;
  }

  async set(name: string, value: string, options: KeyValueSetOptions = {}): Promise<KeyValueEntry> {
    const keys = await this.read();
    const stored: StoredKey = {
      name,
      scope: options.scope ?? 'system',
      ...(options.user ? { user: options.user } : {}),
      value: options.encrypt ? await this.encrypt(value) : value,
      secret: options.encrypt === true,
      ...(options.ttl ? { expiresAt: new Date(Date.now() + options.ttl * 1000).toISOString() } : {}),
    };
    keys[this.id(name, options)] = stored;
    await this.write(keys);
    return this.entry(stored, false);
  }

  async delete(name: string, options: Pick<KeyValueGetOptions, 'scope' | 'user'> = {}): Promise<boolean> {
    const keys = await this.read();
    const id = this.id(name, options);
    if (!(id in keys)) return false;
    delete keys[id];
    await this.write(keys);
    return true;
  }

  async list(options: KeyValueListOptions = {}): Promise<KeyValueEntry[]> {
    const scope = options.scope ?? 'system';
    const entries = Object.values(await this.read()).filter(
      (key) => key.scope === scope && (scope !== 'user' || key.user === options.user) && key.name.startsWith(options.prefix ?? ''),
    );
    return Promise.all(entries.sort((a, b) => a.name.localeCompare(b.name)).map((key) => this.entry(key, options.decrypt === true)));
  }

  private id(name: string, options: { scope?: string; user?: string }): string {
    const scope = options.scope ?? 'system';
    return scope === 'user' ? `user:${options.user ?? ''}:${name}` : `system:${name}`;
  }

  private async entry(key: StoredKey, decrypt: boolean): Promise<KeyValueEntry> {
    return {
      name: key.name,
      scope: key.scope,
      ...(key.user ? { user: key.user } : {}),
      value: key.secret && decrypt ? await this.decrypt(key.value) : key.value,
      secret: key.secret,
      ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
    };
  }

  /** Expired keys read as absent and are dropped at the next write. */
  private async read(): Promise<Record<string, StoredKey>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return {};
    }
    const now = new Date().toISOString();
    const keys = JSON.parse(text) as Record<string, StoredKey>;
    for (const [id, key] of Object.entries(keys)) if (key.expiresAt && key.expiresAt <= now) delete keys[id];
    return keys;
  }

  private async write(keys: Record<string, StoredKey>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(keys, null, 2), { mode: 0o600 });
    await rename(temporary, this.file);
  }

  private async secretKey(): Promise<Buffer> {
    try {
      return Buffer.from((await readFile(this.keyFile, 'utf8')).trim(), 'base64');
    } catch {
      const key = randomBytes(32);
      await mkdir(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
      await writeFile(this.keyFile, key.toString('base64'), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
      return Buffer.from((await readFile(this.keyFile, 'utf8')).trim(), 'base64');
    }
  }

  private async encrypt(value: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.secretKey(), iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  private async decrypt(value: string): Promise<string> {
    const raw = Buffer.from(value, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', await this.secretKey(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
