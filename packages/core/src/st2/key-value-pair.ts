import { PackrunError } from '../errors.ts';
import { maskedValue } from '../params/resolve-parameters.ts';
import type { KeyValueEntry, KeyValueScope } from '../store/types.ts';

/**
 * A datastore key as StackStorm's API shows it (st2common's KeyValuePairAPI): the scope is st2's
 * full name (`st2kv.system`, `st2kv.user`), `encrypted` says the value shown is not the clear
 * text, `expire_timestamp` is when a key with a ttl goes. The API answers with it and the clients
 * of that API (the CLI, distributed runners) read it back with entryOfKeyValuePair.
 */
export interface KeyValuePair {
  id: string;
  uid: string;
  name: string;
  value: string;
  secret: boolean;
  encrypted: boolean;
  scope: St2KeyValueScope;
  user?: string;
  expire_timestamp?: string;
}

export type St2KeyValueScope = 'st2kv.system' | 'st2kv.user';

const fullScope: Record<KeyValueScope, St2KeyValueScope> = { system: 'st2kv.system', user: 'st2kv.user' };

/** The scopes a request may name: st2's short and full names; `all` only where a listing takes it. */
const scopeByName: Record<string, KeyValueScope | 'all'> = {
  system: 'system',
  user: 'user',
  'st2kv.system': 'system',
  'st2kv.user': 'user',
  all: 'all',
};

export const keyValueScopeNames = Object.keys(scopeByName);

/** A scope as a request names it (`system`, `st2kv.user`, `all`), or KV_INVALID. */
export function parseKeyValueScope(name: string, options: { allowAll: boolean }): KeyValueScope | 'all' {
  const scope = scopeByName[name];
  if (scope === undefined || (scope === 'all' && !options.allowAll)) {
    const allowed = keyValueScopeNames.filter((known) => options.allowAll || known !== 'all');
    throw new PackrunError('KV_INVALID', `datastore scope "${name}" is not one of ${allowed.join(', ')}`, { details: { field: 'scope', scope: name } });
  }
  return scope;
}

/** st2's shape of an entry; a secret not decrypted shows Packrun's mask, never its ciphertext. */
export function keyValuePairOf(entry: KeyValueEntry, options: { decrypted: boolean }): KeyValuePair {
  const scope = fullScope[entry.scope];
  // st2's uid names the owner of a user-scoped key in the name (`user:name`), as its database does.
  const stored = entry.scope === 'user' ? `${entry.user ?? ''}:${entry.name}` : entry.name;
  const hidden = entry.secret && !options.decrypted;
  return {
    id: `${scope}:${stored}`,
    uid: `key_value_pair:${scope}:${stored}`,
    name: entry.name,
    value: hidden ? maskedValue : entry.value,
    secret: entry.secret,
    encrypted: hidden,
    scope,
    ...(entry.user === undefined ? {} : { user: entry.user }),
    ...(entry.expiresAt === undefined ? {} : { expire_timestamp: entry.expiresAt }),
  };
}

/** Back from st2's shape to the datastore's (the clients of the API use it). */
export function entryOfKeyValuePair(pair: KeyValuePair): KeyValueEntry {
  const scope = parseKeyValueScope(pair.scope, { allowAll: false }) as KeyValueScope;
  return {
    name: pair.name,
    scope,
    value: pair.value,
    secret: pair.secret,
    ...(pair.user === undefined ? {} : { user: pair.user }),
    ...(pair.expire_timestamp === undefined ? {} : { expiresAt: pair.expire_timestamp }),
  };
}
