import { createHash, randomBytes } from 'node:crypto';
import type { KeyValueScope } from './types.ts';

/** Now, as the ISO string every stored time uses. */
export function nowIso(): string {
  return new Date().toISOString();
}

const processTag = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/**
 * A new record id: 24 hex characters laid out like a MongoDB ObjectId (seconds, per-process random,
 * counter), so ids sort by creation time and make a stable tie-break after `createdAt`.
 */
export function newId(): string {
  counter = (counter + 1) % 0x1000000;
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return seconds + processTag + counter.toString(16).padStart(6, '0');
}

/** The id of a datastore key: one name per scope (and per user for user-scoped keys). */
export function keyValueId(scope: KeyValueScope, name: string, user?: string): string {
  return scope === 'user' ? `user:${user ?? ''}:${name}` : `system:${name}`;
}

/** The stored form of an API key: its SHA-256, hex. Keys are random, so no salt is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** JSON with object keys sorted at every level: the equality key for trigger parameters. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
