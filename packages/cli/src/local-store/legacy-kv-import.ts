import { createDecipheriv } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, type KeyValues } from '@packrun/core';

/**
 * Earlier versions kept a second datastore for the CLI without a server: PACKRUN_HOME/kv.json,
 * secrets encrypted with AES-256-GCM (iv, tag, body, base64) under PACKRUN_HOME/secrets/local-kv.key.
 * Its keys are imported once into the store's datastore, which both the server and the CLI now
 * use, and the file is renamed so it is never imported twice. A key the store has already keeps
 * the store's value (the server's view wins); the renamed file still holds the other.
 */
interface LegacyKey {
  name: string;
  scope: 'system' | 'user';
  user?: string;
  value: string;
  secret: boolean;
  expiresAt?: string;
}

export interface LegacyImportReport {
  file: string;
  renamedTo: string;
  imported: string[];
  /** Already in the store: the store's value kept. */
  kept: string[];
  expired: string[];
  /** Could not be read (a secret the local key no longer opens, a malformed entry), with why. */
  unreadable: string[];
}

function legacyFiles(home: string): { file: string; keyFile: string } {
  return { file: path.join(home, 'kv.json'), keyFile: path.join(home, 'secrets', 'local-kv.key') };
}

function decrypt(key: Buffer, value: string): string {
  const raw = Buffer.from(value, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

function isLegacyKey(value: unknown): value is LegacyKey {
  const key = value as Partial<LegacyKey> | null;
  return (
    typeof key === 'object' && key !== null && typeof key.name === 'string' && key.name !== '' && typeof key.value === 'string' &&
    (key.scope === 'system' || key.scope === 'user') && typeof key.secret === 'boolean'
  );
}

/** Whose name a key reads under in a report: scope, user, name. */
function label(key: LegacyKey): string {
  return key.scope === 'user' ? `user:${key.user ?? ''}:${key.name}` : key.name;
}

/**
 * Imports PACKRUN_HOME/kv.json into `keyValues` when it is there; undefined when there is nothing
 * to import. `userless` owns user-scoped keys the old file kept without a user (the CLI's user).
 */
export async function importLegacyKeyValues(home: string, keyValues: KeyValues, userless: string): Promise<LegacyImportReport | undefined> {
  const { file, keyFile } = legacyFiles(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new PackrunError('KV_IMPORT_FAILED', `${file} is not JSON: the datastore of an earlier version cannot be imported`, {
      hint: `move ${file} aside to start without it (its keys are then not imported)`,
      details: { file },
      cause,
    });
  }
  const entries = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.values(parsed) : [];
  const report: LegacyImportReport = { file, renamedTo: `${file}.imported`, imported: [], kept: [], expired: [], unreadable: [] };
  let secretKey: Buffer | undefined;
  const now = Date.now();
  for (const entry of entries) {
    if (!isLegacyKey(entry)) {
      report.unreadable.push(`${JSON.stringify(entry).slice(0, 80)} (not a datastore key)`);
      continue;
    }
    const key: LegacyKey = entry.scope === 'user' && !entry.user ? { ...entry, user: userless } : entry;
    const expiresAt = key.expiresAt === undefined ? undefined : Date.parse(key.expiresAt);
    if (expiresAt !== undefined && !(expiresAt > now)) {
      report.expired.push(label(key));
      continue;
    }
    const where = { scope: key.scope, ...(key.user === undefined ? {} : { user: key.user }) };
    if (await keyValues.get(key.name, where)) {
      report.kept.push(label(key));
      continue;
    }
    let value = key.value;
    if (key.secret) {
      try {
        secretKey ??= Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
        value = decrypt(secretKey, key.value);
      } catch (error) {
        report.unreadable.push(`${label(key)} (a secret ${keyFile} does not open: ${(error as Error).message})`);
        continue;
      }
    }
    const ttl = expiresAt === undefined ? undefined : Math.max(1, Math.ceil((expiresAt - now) / 1000));
    await keyValues.set(key.name, value, { ...where, encrypt: key.secret, ...(ttl === undefined ? {} : { ttl }) });
    report.imported.push(label(key));
  }
  await rename(file, report.renamedTo);
  return report;
}

/** The report as the lines an operator reads on stderr. */
export function describeLegacyImport(report: LegacyImportReport): string[] {
  const list = (names: string[]): string => names.join(', ');
  return [
    `imported ${report.imported.length} datastore keys from ${report.file} into the store${report.imported.length > 0 ? `: ${list(report.imported)}` : ''}`,
    ...(report.kept.length > 0 ? [`kept the store's value of ${report.kept.length} keys it had already: ${list(report.kept)}`] : []),
    ...(report.expired.length > 0 ? [`skipped ${report.expired.length} expired keys: ${list(report.expired)}`] : []),
    ...(report.unreadable.length > 0 ? [`could not import ${report.unreadable.length} entries: ${list(report.unreadable)}`] : []),
    `${report.file} renamed to ${report.renamedTo}`,
  ];
}
