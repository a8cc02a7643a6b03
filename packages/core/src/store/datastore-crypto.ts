import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PackrunError } from '../errors.ts';

/**
 * Encryption of datastore secrets at rest: AES-256-GCM, so a changed ciphertext or a wrong key is
 * detected rather than decrypted to garbage. Stored form: `aesgcm:` + base64(iv | tag | ciphertext).
 */
const prefix = 'aesgcm:';
const ivBytes = 12;
const tagBytes = 16;

function parseDatastoreKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) {
    throw new PackrunError('KV_KEY_INVALID', `the datastore key in ${source} is not 32 bytes of base64`, {
      hint: 'generate one with `openssl rand -base64 32`; changing the key makes stored secrets unreadable',
      details: { source },
    });
  }
  return key;
}

/**
 * The key from configuration, else from `<home>/secrets/datastore.key`, which is created (0600, in a
 * 0700 folder) the first time a secret is stored or read. A process racing to create it reads the
 * winner's key instead of writing its own.
 */
export function loadDatastoreKey(options: { home: string; configuredKey?: string | undefined }): Buffer {
  if (options.configuredKey !== undefined) return parseDatastoreKey(options.configuredKey, 'PACKRUN_DATASTORE_KEY');
  const dir = path.join(options.home, 'secrets');
  const file = path.join(dir, 'datastore.key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseDatastoreKey(readFileSync(file, 'utf8'), file);
}

export function encryptSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

export function decryptSecret(key: Buffer, stored: string, name: string): string {
  try {
    if (!stored.startsWith(prefix)) throw new Error('not an encrypted value');
    const raw = Buffer.from(stored.slice(prefix.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, ivBytes));
    decipher.setAuthTag(raw.subarray(ivBytes, ivBytes + tagBytes));
    return Buffer.concat([decipher.update(raw.subarray(ivBytes + tagBytes)), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new PackrunError('KV_DECRYPT_FAILED', `the secret datastore key "${name}" cannot be decrypted with this datastore key`, {
      hint: 'the datastore key (PACKRUN_DATASTORE_KEY or PACKRUN_HOME/secrets/datastore.key) changed since the secret was stored; set the secret again',
      details: { name },
      cause,
    });
  }
}
