import { readAction, readExecution } from './shapes.ts';
import type { Action, Execution, ExecutionOutput, Readiness, User } from './types.ts';

/** How the user signed in: an API key (St2-Api-Key) or an authentication token (X-Auth-Token). */
export interface Credential {
  kind: 'api-key' | 'token';
  value: string;
}

/** A refusal or failure of the API, with its stable code (docs/errors.md). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ExecutionQuery {
  action?: string;
  status?: string;
  limit: number;
  offset: number;
}

export interface Api {
  readonly credential: Credential;
  whoami(): Promise<User>;
  health(): Promise<{ status: string }>;
  readiness(): Promise<Readiness>;
  version(): Promise<string>;
  listExecutions(query: ExecutionQuery): Promise<{ items: Execution[]; total: number }>;
  getExecution(id: string): Promise<Execution>;
  executionOutput(id: string): Promise<ExecutionOutput>;
  runAction(ref: string, parameters: Record<string, unknown>): Promise<Execution>;
  cancelExecution(id: string): Promise<Execution>;
  rerunExecution(execution: Execution, parameters: Record<string, unknown>): Promise<Execution>;
  listActions(): Promise<Action[]>;
  getAction(ref: string): Promise<Action>;
  /**
   * The URL of an event stream with the credential in its query: EventSource cannot set headers.
   * The URL is handed to EventSource only, never logged, shown or put in the page's address.
   */
  streamUrl(path: string): string;
}

const credentialHeader = (credential: Credential): Record<string, string> =>
  credential.kind === 'token' ? { 'X-Auth-Token': credential.value } : { 'St2-Api-Key': credential.value };

const credentialQuery = (credential: Credential): string => (credential.kind === 'token' ? 'x-auth-token' : 'st2-api-key');

/**
 * The one module that talks to Packrun's public API: the user's credential on every request, the
 * API's st2 shapes read into types.ts's. `onUnauthorized` is told when the server stops taking the
 * credential (revoked key, expired token).
 */
export function createApi(credential: Credential, onUnauthorized: () => void = () => undefined): Api {
  async function call(method: string, path: string, body?: unknown): Promise<{ data: unknown; response: Response }> {
    const response = await fetch(path, {
      method,
      headers: { Accept: 'application/json', ...credentialHeader(credential), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      credentials: 'omit',
      cache: 'no-store',
    });
    const raw = await response.text();
    let data: unknown = raw;
    if ((response.headers.get('content-type') ?? '').includes('json') && raw !== '') {
      try {
        data = JSON.parse(raw);
      } catch {
        data = raw;
      }
    }
    if (!response.ok && !(method === 'GET' && path === '/api/v1/ready' && response.status === 503)) {
      const error = typeof data === 'object' && data !== null ? (data as { code?: string; message?: string; hint?: string }) : {};
      if (response.status === 401) onUnauthorized();
      throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? `${method} ${path} answered ${response.status}`, error.hint);
    }
    return { data, response };
  }
  const get = async (path: string): Promise<unknown> => (await call('GET', path)).data;
  const executionPath = (id: string): string => `/api/v1/executions/${encodeURIComponent(id)}`;

  return {
    credential,
    whoami: async () => (await get('/api/v1/user')) as User,
    health: async () => (await get('/api/v1/health')) as { status: string },
    readiness: async () => (await get('/api/v1/ready')) as Readiness,
    version: async () => ((await get('/api/v1/version')) as { version: string }).version,
    async listExecutions(query) {
      const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
      if (query.action) params.set('action', query.action);
      if (query.status) params.set('status', query.status);
      const { data, response } = await call('GET', `/api/v1/executions?${params}`);
      const items = (Array.isArray(data) ? data : []).map(readExecution);
      return { items, total: Number(response.headers.get('x-total-count') ?? items.length) };
    },
    getExecution: async (id) => readExecution(await get(executionPath(id))),
    async executionOutput(id) {
      const data = await get(`${executionPath(id)}/output`);
      // Packrun's JSON {stdout, stderr}; st2's is the output as text.
      if (typeof data === 'string') return { stdout: data, stderr: '' };
      const { stdout, stderr } = data as Partial<ExecutionOutput>;
      return { stdout: stdout ?? '', stderr: stderr ?? '' };
    },
    runAction: async (ref, parameters) => readExecution((await call('POST', '/api/v1/executions', { action: ref, parameters })).data),
    cancelExecution: async (id) => readExecution((await call('DELETE', executionPath(id))).data),
    async rerunExecution(execution, parameters) {
      // st2's route is re_run; a server still answering in Packrun's earlier shape (`action` a
      // ref, not an object) has only rerun.
      const route = typeof execution.raw['action'] === 'object' ? 're_run' : 'rerun';
      return readExecution((await call('POST', `${executionPath(execution.id)}/${route}`, { parameters })).data);
    },
    listActions: async () => {
      const data = await get('/api/v1/actions');
      return (Array.isArray(data) ? data : []).map(readAction);
    },
    getAction: async (ref) => readAction(await get(`/api/v1/actions/${encodeURIComponent(ref)}`)),
    streamUrl: (path) => `${path}${path.includes('?') ? '&' : '?'}${credentialQuery(credential)}=${encodeURIComponent(credential.value)}`,
  };
}
