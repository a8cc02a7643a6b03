import { PackrunError, type KeyValueEntry, type KeyValues } from '@packrun/core';
import type { ApiClient } from './api-client.ts';

function absentAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof PackrunError && error.code === 'KEY_NOT_FOUND') return value;
    throw error;
  };
}

/**
 * The datastore through the API, as the CLI's key: user-scoped keys are its user's (the API
 * decides whose, and whether it may decrypt), so `user` in the options is not sent.
 */
export function apiKeyValues(client: ApiClient): KeyValues {
  return {
    get: (name, options = {}) =>
      client.getKey(name, { scope: options.scope ?? 'system', decrypt: options.decrypt === true }).catch(absentAs<KeyValueEntry | undefined>(undefined)),
    set: (name, value, options = {}) =>
      client.setKey(name, { value, scope: options.scope ?? 'system', secret: options.encrypt === true, ...(options.ttl ? { ttl: options.ttl } : {}) }),
    delete: (name, options = {}) => client.deleteKey(name, options.scope ?? 'system').then(() => true, absentAs(false)),
    list: (options = {}) =>
      client.listKeys({ scope: options.scope ?? 'system', decrypt: options.decrypt === true, ...(options.prefix ? { prefix: options.prefix } : {}) }),
  };
}
