import http from 'node:http';
import {
  apiKeyRoles,
  createInProcessBus,
  createLogger,
  loadConfig,
  newId,
  nowIso,
  openEmbeddedStore,
  openKeyValues,
  type ApiKeyRole,
  type Bus,
  type KeyValues,
  type Store,
} from '@packrun/core';
import { createApiKey, startApiService, type ApiService } from '@packrun/api';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';

/**
 * The real API (every route: the API's own, the rules engine's and the sensor container's) on a
 * real port over the embedded store, with no action runner: executions stay where the tests put
 * them. One key per role, and canaries planted where a bypass would reveal them.
 */
export interface AuthzStack {
  home: PackrunHome;
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  api: ApiService;
  url: URL;
  keys: Record<ApiKeyRole, { key: string; id: string; user: string }>;
  /** Values no caller without the right role may ever see in a response. */
  canaries: string[];
  secretName: string;
  secretValue: string;
  userSecretName: string;
  userSecretValue: string;
  /** An execution nobody holds, whose parameters carry a canary. */
  executionId: string;
  close(): Promise<void>;
}

export async function startAuthzStack(): Promise<AuthzStack> {
  const home = await homeWithPacks(['core'], { PACKRUN_API_PORT: '0', PACKRUN_RUNNER_HEARTBEAT: '1' });
  const config = loadConfig(home.env);
  const logger = createLogger({ level: process.env['PACKRUN_TEST_LOG_LEVEL'] ?? 'silent' });
  const store = await openEmbeddedStore({ dir: home.paths.store, logger });
  const bus = createInProcessBus({ logger });
  const keyValues = openKeyValues(store, config);
  const api = await startApiService({ config, store, bus, keyValues, logger, listen: true });

  const keys = {} as AuthzStack['keys'];
  for (const role of apiKeyRoles) {
    const user = `user-${role}`;
    const { key, record } = await createApiKey(store, { user, role, description: `canary-description-${role}` });
    keys[role] = { key, id: record.id, user };
  }
  const secretName = 'canary-secret';
  const secretValue = `canary-secret-value-${newId()}`;
  const userSecretName = 'canary-user-secret';
  const userSecretValue = `canary-user-secret-value-${newId()}`;
  const plainValue = `canary-plain-value-${newId()}`;
  await keyValues.set(secretName, secretValue, { scope: 'system', encrypt: true });
  await keyValues.set('canary-plain', plainValue, { scope: 'system' });
  // Every role's user has a user-scoped secret, so "my own keys" is never an empty answer.
  for (const role of apiKeyRoles) await keyValues.set(userSecretName, userSecretValue, { scope: 'user', user: keys[role].user, encrypt: true });
  const parameterCanary = `canary-parameter-${newId()}`;
  const executionId = await insertExecution(store, { cmd: parameterCanary });

  return {
    home,
    store,
    bus,
    keyValues,
    api,
    url: new URL(api.url!),
    keys,
    canaries: [secretValue, userSecretValue, plainValue, parameterCanary, ...apiKeyRoles.map((role) => keys[role].key), 'canary-description'],
    secretName,
    secretValue,
    userSecretName,
    userSecretValue,
    executionId,
    async close() {
      await api.close();
      await bus.close();
      await store.close();
    },
  };
}

/** An execution of core.local waiting for a runner (stored, not queued: no runner runs here). */
export async function insertExecution(store: Store, parameters: Record<string, unknown> = { cmd: 'true' }, user = 'user-operator'): Promise<string> {
  const id = newId();
  await store.executions.insert({
    id,
    action: 'core.local',
    pack: 'core',
    parameters,
    status: 'scheduled',
    log: [{ status: 'scheduled', at: nowIso(), by: user }],
    createdAt: nowIso(),
    context: { user },
    user,
  });
  return id;
}

export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

const agent = new http.Agent({ keepAlive: true });

/**
 * One request over a real socket with the path sent byte for byte as given (fetch would resolve
 * dot segments and re-encode first). An event stream is cut after its headers: a test only needs
 * to know it was opened.
 */
export function rawRequest(
  url: URL,
  options: { method: string; path: string; headers?: Record<string, string>; body?: unknown },
): Promise<RawResponse> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method,
        path: options.path,
        agent,
        headers: { ...options.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
        timeout: 10_000,
      },
      (response) => {
        const contentType = String(response.headers['content-type'] ?? '');
        const chunks: Buffer[] = [];
        if (contentType.startsWith('text/event-stream')) {
          response.once('data', (chunk: Buffer) => {
            chunks.push(chunk);
            response.destroy();
            resolve({ status: response.statusCode ?? 0, contentType, body: Buffer.concat(chunks).toString() });
          });
          return;
        }
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${options.method} ${options.path}: no answer within 10 s`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** The same request through fastify's inject(), which parses and normalises the URL its own way. */
export async function injected(
  api: ApiService,
  options: { method: string; path: string; headers?: Record<string, string>; body?: unknown },
): Promise<RawResponse> {
  const answer = api.app
    .inject({
      method: options.method as 'GET',
      url: options.path,
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
    })
    .then((response) => ({ status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body }));
  // inject() resolves when the response ends, which an event stream that was let through never does.
  const stillOpen = new Promise<RawResponse>((resolve) => setTimeout(() => resolve({ status: 200, contentType: 'text/event-stream (still open)', body: '' }), 5000).unref());
  return Promise.race([answer, stillOpen]);
}
