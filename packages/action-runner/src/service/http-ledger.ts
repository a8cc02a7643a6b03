import {
  isPackrunError,
  PackrunError,
  entryOfKeyValuePair,
  servedExecutionHeader,
  type KeyValueEntry,
  type KeyValuePair,
  type KeyValueGetOptions,
  type KeyValueListOptions,
  type KeyValues,
  type KeyValueSetOptions,
} from '@packrun/core';
import { apiRequest, type ApiEndpoint } from './api-request.ts';
import type { ClaimDecision, ClaimRequest, CompleteRequest, ExecutionLedger, InjectTriggerRequest, RunnerInfo } from './ledger.ts';

/**
 * The ledger of a distributed runner: every transition is a call to the API, which applies it
 * to the store with the same compare-and-set as the embedded deployment. The runner's own API key
 * is its only credential.
 */
export function createHttpLedger(endpoint: ApiEndpoint): ExecutionLedger {
  const runnerPath = (runnerId: string, what: string): string => `/api/v1/runners/${encodeURIComponent(runnerId)}/${what}`;
  return {
    async claim({ executionId, runnerId, redelivered, apiToken }: ClaimRequest): Promise<ClaimDecision> {
      return (await apiRequest<ClaimDecision>(endpoint, 'POST', runnerPath(runnerId, 'claim'), { executionId, redelivered, ...(apiToken ? { apiToken } : {}) }))!;
    },
    async complete({ runnerId, ...rest }: CompleteRequest): Promise<void> {
      // Results are the one thing a runner must not lose: the runner service retries this for as
      // long as the API stays away; each call gives up after a minute so that it says so meanwhile.
      await apiRequest(endpoint, 'POST', runnerPath(runnerId, 'complete'), rest, { retryForMs: 60_000 });
    },
    async release({ executionId, runnerId }): Promise<void> {
      await apiRequest(endpoint, 'POST', runnerPath(runnerId, 'release'), { executionId });
    },
    async heartbeat({ id, ...info }: RunnerInfo): Promise<{ cancel: string[] }> {
      return (await apiRequest<{ cancel: string[] }>(endpoint, 'POST', runnerPath(id, 'heartbeat'), info, { retryForMs: 0 })) ?? { cancel: [] };
    },
    async injectTrigger({ runnerId, ...injection }: InjectTriggerRequest): Promise<Record<string, unknown>> {
      try {
        return (await apiRequest<Record<string, unknown>>(endpoint, 'POST', runnerPath(runnerId, 'triggers'), injection))!;
      } catch (error) {
        // The API's refusal (TRIGGER_NOT_OWNED, TRIGGER_NOT_FOUND...) is the execution's error, as in `packrun up`.
        const { code, apiMessage } = isPackrunError(error) ? error.details : {};
        if (typeof code === 'string' && typeof apiMessage === 'string') throw new PackrunError(code, apiMessage, { details: { trigger: injection.trigger } });
        throw error;
      }
    },
  };
}

/**
 * The datastore through the API's key routes, for one execution run by a distributed runner: a
 * runner key reaches the datastore only for an execution its runner holds, as that execution's user.
 */
export class HttpKeyValues implements KeyValues {
  private readonly endpoint: ApiEndpoint;

  constructor(endpoint: ApiEndpoint, executionId: string) {
    this.endpoint = { ...endpoint, headers: { ...endpoint.headers, [servedExecutionHeader]: executionId } };
  }

  private query(options: { scope?: string; user?: string; decrypt?: boolean; prefix?: string; limit?: number }): string {
    const params = new URLSearchParams();
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (options.scope) params.set('scope', options.scope);
    if (options.scope === 'user' && options.user) params.set('user', options.user);
    if (options.decrypt) params.set('decrypt', 'true');
    if (options.prefix) params.set('prefix', options.prefix);
    const text = params.toString();
    return text ? `?${text}` : '';
  }

  async get(name: string, options: KeyValueGetOptions = {}): Promise<KeyValueEntry | undefined> {
    const pair = await apiRequest<KeyValuePair>(this.endpoint, 'GET', `/api/v1/keys/${encodeURIComponent(name)}${this.query(options)}`, undefined, {
      allowNotFound: true,
    });
    return pair === undefined ? undefined : entryOfKeyValuePair(pair);
  }

  async set(name: string, value: string, options: KeyValueSetOptions = {}): Promise<KeyValueEntry> {
    const body = {
      value,
      secret: options.encrypt === true,
      scope: options.scope ?? 'system',
      ...(options.scope === 'user' && options.user ? { user: options.user } : {}),
      ...(options.ttl ? { ttl: options.ttl } : {}),
    };
    return entryOfKeyValuePair((await apiRequest<KeyValuePair>(this.endpoint, 'PUT', `/api/v1/keys/${encodeURIComponent(name)}`, body))!);
  }

  async delete(name: string, options: Pick<KeyValueGetOptions, 'scope' | 'user'> = {}): Promise<boolean> {
    const path = `/api/v1/keys/${encodeURIComponent(name)}${this.query(options)}`;
    const found = await apiRequest<unknown>(this.endpoint, 'GET', path, undefined, { allowNotFound: true });
    if (found === undefined) return false;
    await apiRequest(this.endpoint, 'DELETE', path, undefined, { allowNotFound: true });
    return true;
  }

  async list(options: KeyValueListOptions = {}): Promise<KeyValueEntry[]> {
    // -1: every key, not the API's first page.
    const pairs = (await apiRequest<KeyValuePair[]>(this.endpoint, 'GET', `/api/v1/keys${this.query({ ...options, limit: -1 })}`)) ?? [];
    return pairs.map(entryOfKeyValuePair);
  }
}
