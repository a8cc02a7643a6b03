import { StringWithAttributes } from '@packrun/jinja';
import type { KeyValues, KeyValueScope as DatastoreScope } from '../store/types.ts';

/**
 * `st2kv.system.<key>` and `st2kv.user.<key>` in templates. Rendering is synchronous but
 * the datastore is not, so the keys a template mentions are found by scanning its text, fetched
 * first, and handed to the renderer as a plain snapshot object. Keys reached through a computed
 * name (`st2kv.system[name_var]`) cannot be seen in advance and render as missing.
 *
 * As in StackStorm, a missing key renders as an empty string, and a dotted reference
 * `st2kv.system.a.b` means the key `a.b` (or, failing that, attribute `b` of key `a`).
 */


/** What templates need from the datastore. The user scope's owner is the implementer's business. */
export interface KeyValueLookup {
  get(name: string, options: { scope: DatastoreScope; decrypt: boolean }): Promise<string | undefined>;
}

/** Adapts the datastore service to templates; `user` owns the keys `st2kv.user.*` reads. */
export function keyValueLookup(keyValues: KeyValues, user?: string): KeyValueLookup {
  return {
    get: async (name, { scope, decrypt }) => (await keyValues.get(name, { scope, decrypt, ...(user === undefined ? {} : { user }) }))?.value,
  };
}

export interface DatastoreSnapshot {
  system: Record<string, unknown>;
  user: Record<string, unknown>;
}

const referencePattern = /st2kv\s*\.\s*(system|user)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*|\s*\[\s*(?:'[^']*'|"[^"]*")\s*\])+)/g;
const segmentPattern = /\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/g;

export interface DatastoreReference {
  scope: DatastoreScope;
  /** Path segments after the scope: `st2kv.system.a.b` -> ['a', 'b']. */
  path: string[];
}

/** Every `st2kv.<scope>...` reference in the strings inside `value` (walking objects and arrays). */
export function datastoreReferences(value: unknown): DatastoreReference[] {
  const found = new Map<string, DatastoreReference>();
  const visit = (item: unknown): void => {
    if (typeof item === 'string') {
      if (!item.includes('st2kv')) return;
      for (const match of item.matchAll(referencePattern)) {
        const path = [...match[2]!.matchAll(segmentPattern)].map((segment) => segment[1] ?? segment[2] ?? segment[3] ?? '');
        const scope = match[1] as DatastoreScope;
        found.set(`${scope}\0${path.join('\0')}`, { scope, path });
      }
    } else if (Array.isArray(item)) item.forEach(visit);
    else if (typeof item === 'object' && item !== null) Object.values(item).forEach(visit);
  };
  visit(value);
  return [...found.values()];
}

export function mentionsDecrypt(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('decrypt_kv');
  if (Array.isArray(value)) return value.some(mentionsDecrypt);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(mentionsDecrypt);
  return false;
}

/** Every datastore key the references could read: `st2kv.system.a.b` may mean the key `a.b` or attribute `b` of key `a`. */
function wantedKeys(references: DatastoreReference[]): Array<{ scope: DatastoreScope; name: string }> {
  const wanted = new Map<string, { scope: DatastoreScope; name: string }>();
  for (const { scope, path } of references) {
    for (let length = 1; length <= path.length; length += 1) {
      const name = path.slice(0, length).join('.');
      wanted.set(`${scope}\0${name}`, { scope, name });
    }
  }
  return [...wanted.values()];
}

/**
 * Fetches the keys the templates in `value` refer to and builds the `st2kv` context object.
 * Values are decrypted when `decrypt` is set or when a template uses the `decrypt_kv` filter.
 */
export async function buildDatastoreSnapshot(
  value: unknown,
  kv: KeyValueLookup,
  options: { decrypt?: boolean } = {},
): Promise<DatastoreSnapshot> {
  const decrypt = options.decrypt ?? mentionsDecrypt(value);
  const references = datastoreReferences(value);
  const values = new Map<string, string>();
  await Promise.all(
    wantedKeys(references).map(async ({ scope, name }) => {
      const found = await kv.get(name, { scope, decrypt });
      if (found !== undefined) values.set(`${scope}\0${name}`, found);
    }),
  );
  return assembleSnapshot(references, values);
}

/**
 * The same snapshot from a synchronous lookup, for callers that must not wait (the workflow
 * drivers, which are pure: their runtime loads the keys and runs the step again).
 */
export function datastoreSnapshotFrom(
  value: unknown,
  get: (name: string, options: { scope: DatastoreScope; decrypt: boolean }) => string | undefined,
  options: { decrypt?: boolean } = {},
): DatastoreSnapshot {
  const decrypt = options.decrypt ?? mentionsDecrypt(value);
  const references = datastoreReferences(value);
  const values = new Map<string, string>();
  for (const { scope, name } of wantedKeys(references)) {
    const found = get(name, { scope, decrypt });
    if (found !== undefined) values.set(`${scope}\0${name}`, found);
  }
  return assembleSnapshot(references, values);
}

function assembleSnapshot(references: DatastoreReference[], values: Map<string, string>): DatastoreSnapshot {
  // Null-prototype objects: the path segments come from template text, and `__proto__` must be only a key.
  const snapshot: DatastoreSnapshot = { system: emptyRecord(), user: emptyRecord() };
  for (const { scope, path } of references) {
    let parent: Record<string, unknown> = snapshot[scope];
    for (let length = 1; length <= path.length; length += 1) {
      const segment = path[length - 1]!;
      const value = values.get(`${scope}\0${path.slice(0, length).join('.')}`);
      const existing = parent[segment];
      if (length === path.length) {
        if (existing === undefined) parent[segment] = value ?? '';
        break;
      }
      if (existing instanceof StringWithAttributes) {
        parent = existing.attributes;
        continue;
      }
      if (typeof existing === 'object' && existing !== null) {
        parent = existing as Record<string, unknown>;
        continue;
      }
      // Both `a` and `a.b` may be keys: `a` prints as its value and still has the attribute `b`.
      const container = value === undefined ? emptyRecord() : new StringWithAttributes(value, emptyRecord());
      parent[segment] = container;
      parent = container instanceof StringWithAttributes ? container.attributes : container;
    }
  }
  return snapshot;
}

function emptyRecord(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}
