import { readAction, readApiKey, readEnforcement, readExecution, readInquiry, readKeyValuePair, readPack, readRule, readSensorType, readTriggerInstance, readTriggerType } from './shapes.ts';
import type { Action, ApiKey, Enforcement, Execution, Inquiry, KeyScope, KeySetting, KeyValuePair, Pack, ParameterSpec, Readiness, Rule, SandboxReport, SensorType, TriggerInstance, TriggerType, User } from './types.ts';

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
    /** The error's details as the API sent them (e.g. `field`, `parameter`, `file`: where the problem is). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** GET /api/v1/executions's filters, by the API's (st2's) names; an empty one is not sent. */
export interface ExecutionQuery {
  action?: string;
  pack?: string;
  status?: string;
  rule?: string;
  user?: string;
  timestamp_gt?: string;
  timestamp_lt?: string;
  limit: number;
  offset: number;
}

export interface Api {
  readonly credential: Credential;
  whoami(): Promise<User>;
  health(): Promise<{ status: string }>;
  readiness(): Promise<Readiness>;
  version(): Promise<string>;
  /** The sandbox layers the server's host provides, as `packrun doctor` reports them. */
  sandbox(): Promise<SandboxReport>;
  listExecutions(query: ExecutionQuery): Promise<{ items: Execution[]; total: number }>;
  getExecution(id: string): Promise<Execution>;
  /** A workflow's child executions (its tasks' runs), oldest first. */
  listChildren(id: string): Promise<Execution[]>;
  runAction(ref: string, parameters: Record<string, unknown>): Promise<Execution>;
  cancelExecution(id: string): Promise<Execution>;
  /** Asks a workflow to pause (`pausing`) or a paused one to go on (`resuming`): st2's PUT of the execution. */
  pauseOrResume(id: string, status: 'pausing' | 'resuming'): Promise<Execution>;
  rerunExecution(execution: Execution, parameters: Record<string, unknown>): Promise<Execution>;
  listActions(): Promise<Action[]>;
  getAction(ref: string): Promise<Action>;
  /** The action's entry_point file as text (a workflow's definition). */
  getEntryPoint(ref: string): Promise<string>;
  listInquiries(): Promise<Inquiry[]>;
  getInquiry(id: string): Promise<Inquiry>;
  respondToInquiry(id: string, response: Record<string, unknown>): Promise<void>;
  listPacks(): Promise<Pack[]>;
  /** Starts a packs.install execution; answers its id (its output is the install's progress). */
  installPacks(sources: string[]): Promise<string>;
  /** Installs packs again from their recorded sources (packrun pack upgrade): a packs.install execution; answers its id. */
  upgradePacks(refs: string[]): Promise<string>;
  /** Starts a packs.uninstall execution; answers its id. */
  removePacks(refs: string[]): Promise<string>;
  /** A pack's config.schema.yaml attributes (st2's ConfigSchema); undefined when the pack has none. */
  getConfigSchema(ref: string): Promise<Record<string, ParameterSpec> | undefined>;
  /** A pack's config as written, its secrets as ********; undefined when it has none yet. */
  getPackConfig(ref: string): Promise<Record<string, unknown> | undefined>;
  /** Writes a pack's config (admins); a secret sent back as ******** keeps its stored value. */
  savePackConfig(ref: string, values: Record<string, unknown>): Promise<Record<string, unknown>>;
  /**
   * The URL of an event stream with the credential in its query: EventSource cannot set headers.
   * The URL is handed to EventSource only, never logged, shown or put in the page's address.
   */
  streamUrl(path: string): string;
  listRules(): Promise<Rule[]>;
  getRule(ref: string): Promise<Rule>;
  /** Creates a rule from its file's content as JSON (with its pack). */
  createRule(definition: Record<string, unknown>): Promise<Rule>;
  setRuleEnabled(rule: Rule, enabled: boolean): Promise<Rule>;
  /** Replaces a rule with its file's content as JSON (st2 rule update). */
  updateRule(ref: string, definition: Record<string, unknown>): Promise<Rule>;
  listEnforcements(ruleRef: string): Promise<Enforcement[]>;
  /** A scope's keys, secrets masked (the API decrypts only when asked). */
  listKeys(scope: KeyScope): Promise<KeyValuePair[]>;
  /** One key decrypted: asked only when the user asks to see a secret. */
  revealKey(name: string, scope: KeyScope): Promise<KeyValuePair>;
  setKey(setting: KeySetting): Promise<KeyValuePair>;
  deleteKey(name: string, scope: KeyScope): Promise<void>;
  listSensors(): Promise<SensorType[]>;
  setSensorEnabled(ref: string, enabled: boolean): Promise<SensorType>;
  restartSensor(ref: string): Promise<SensorType>;
  listTriggerTypes(): Promise<TriggerType[]>;
  listTriggerInstances(trigger?: string): Promise<TriggerInstance[]>;
  /** Fires a trigger with a payload (st2's POST /webhooks/st2); answers the new instance's id. */
  fireTrigger(trigger: string, payload: Record<string, unknown>): Promise<string>;
  /** Fires an instance's trigger again with its payload; answers the new instance's id. */
  reEmitTriggerInstance(id: string): Promise<string>;
  listApiKeys(): Promise<ApiKey[]>;
  /** Creates a key; the answer's `key` is the only time the key itself is shown. */
  createApiKey(request: { user: string; role: string; description?: string }): Promise<{ apiKey: ApiKey; key: string }>;
  setApiKeyEnabled(id: string, enabled: boolean): Promise<ApiKey>;
  deleteApiKey(id: string): Promise<void>;
}

/**
 * The pack of one item of st2's /configs or /config_schemas lists. The UI reads a pack's config
 * and schema from the lists, never a 404: the browser reports every 404 it loads as an error.
 */
function packOf(item: unknown): unknown {
  return typeof item === 'object' && item !== null ? (item as { pack?: unknown }).pack : undefined;
}

/** The values of st2's PackConfig `{id, pack, values}`. */
function valuesOf(config: unknown): Record<string, unknown> | undefined {
  const values = typeof config === 'object' && config !== null ? (config as { values?: unknown }).values : undefined;
  return typeof values === 'object' && values !== null && !Array.isArray(values) ? (values as Record<string, unknown>) : undefined;
}

const credentialHeader = (credential: Credential): Record<string, string> =>
  credential.kind === 'token' ? { 'X-Auth-Token': credential.value } : { 'St2-Api-Key': credential.value };

const credentialQuery = (credential: Credential): string => (credential.kind === 'token' ? 'x-auth-token' : 'st2-api-key');

function triggerInstanceIdOf(data: unknown): string {
  const id = typeof data === 'object' && data !== null ? (data as { trigger_instance_id?: unknown }).trigger_instance_id : undefined;
  if (typeof id !== 'string') throw new Error('the API did not answer the id of the trigger instance it made');
  return id;
}

function executionIdOf(data: unknown): string {
  const id = typeof data === 'object' && data !== null ? (data as { execution_id?: unknown }).execution_id : undefined;
  if (typeof id !== 'string') throw new Error('the API did not answer the id of the execution it started');
  return id;
}

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
      const error = typeof data === 'object' && data !== null ? (data as { code?: string; message?: string; hint?: string; details?: unknown }) : {};
      if (response.status === 401) onUnauthorized();
      const details = typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details) ? (error.details as Record<string, unknown>) : undefined;
      throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? `${method} ${path} answered ${response.status}`, error.hint, details);
    }
    return { data, response };
  }
  const get = async (path: string): Promise<unknown> => (await call('GET', path)).data;
  const executionPath = (id: string): string => `/api/v1/executions/${encodeURIComponent(id)}`;
  const list = async <T>(path: string, read: (raw: unknown) => T): Promise<T[]> => {
    const data = await get(path);
    return (Array.isArray(data) ? data : []).map(read);
  };
  // st2's scope names in a query: system or user.
  const keyPath = (name: string, scope: KeyScope, query = ''): string => `/api/v1/keys/${encodeURIComponent(name)}?scope=${scope === 'st2kv.user' ? 'user' : 'system'}${query}`;

  return {
    credential,
    whoami: async () => (await get('/api/v1/user')) as User,
    health: async () => (await get('/api/v1/health')) as { status: string },
    readiness: async () => (await get('/api/v1/ready')) as Readiness,
    version: async () => ((await get('/api/v1/version')) as { version: string }).version,
    sandbox: async () => (await get('/api/v1/sandbox')) as SandboxReport,
    async listExecutions(query) {
      const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
      for (const [name, value] of Object.entries(query)) if (typeof value === 'string' && value !== '') params.set(name, value);
      const { data, response } = await call('GET', `/api/v1/executions?${params}`);
      const items = (Array.isArray(data) ? data : []).map(readExecution);
      return { items, total: Number(response.headers.get('x-total-count') ?? items.length) };
    },
    getExecution: async (id) => readExecution(await get(executionPath(id))),
    listChildren: async (id) => {
      const data = await get(`${executionPath(id)}/children?depth=1`);
      return (Array.isArray(data) ? data : []).map(readExecution);
    },
    runAction: async (ref, parameters) => readExecution((await call('POST', '/api/v1/executions', { action: ref, parameters })).data),
    cancelExecution: async (id) => readExecution((await call('DELETE', executionPath(id))).data),
    pauseOrResume: async (id, status) => readExecution((await call('PUT', executionPath(id), { status })).data),
    rerunExecution: async (execution, parameters) => readExecution((await call('POST', `${executionPath(execution.id)}/re_run`, { parameters })).data),
    listActions: async () => {
      const data = await get('/api/v1/actions');
      return (Array.isArray(data) ? data : []).map(readAction);
    },
    getAction: async (ref) => readAction(await get(`/api/v1/actions/${encodeURIComponent(ref)}`)),
    getEntryPoint: async (ref) => String(await get(`/api/v1/actions/views/entry_point/${encodeURIComponent(ref)}`)),
    listRules: async () => {
      const data = await get('/api/v1/rules');
      return (Array.isArray(data) ? data : []).map(readRule);
    },
    getRule: async (ref) => readRule(await get(`/api/v1/rules/${encodeURIComponent(ref)}`)),
    createRule: async (definition) => readRule((await call('POST', '/api/v1/rules', definition)).data),
    // st2 rule enable/disable: the rule sent back as read, only `enabled` changed.
    setRuleEnabled: async (rule, enabled) => readRule((await call('PUT', `/api/v1/rules/${encodeURIComponent(rule.ref)}`, { ...rule.raw, enabled })).data),
    updateRule: async (ref, definition) => readRule((await call('PUT', `/api/v1/rules/${encodeURIComponent(ref)}`, definition)).data),
    listEnforcements: async (ruleRef) => {
      const data = await get(`/api/v1/ruleenforcements?rule_ref=${encodeURIComponent(ruleRef)}&limit=50`);
      return (Array.isArray(data) ? data : []).map(readEnforcement);
    },
    listInquiries: async () => {
      const data = await get('/api/v1/inquiries?limit=100');
      return (Array.isArray(data) ? data : []).map(readInquiry);
    },
    getInquiry: async (id) => readInquiry(await get(`/api/v1/inquiries/${encodeURIComponent(id)}`)),
    async respondToInquiry(id, response) {
      await call('PUT', `/api/v1/inquiries/${encodeURIComponent(id)}`, { id, response });
    },
    listPacks: async () => {
      const data = await get('/api/v1/packs');
      return (Array.isArray(data) ? data : []).map(readPack);
    },
    installPacks: async (sources) => executionIdOf((await call('POST', '/api/v1/packs/install', { packs: sources })).data),
    upgradePacks: async (refs) => executionIdOf((await call('POST', '/api/v1/packs/upgrade', { packs: refs })).data),
    removePacks: async (refs) => executionIdOf((await call('POST', '/api/v1/packs/uninstall', { packs: refs })).data),
    getConfigSchema: async (ref) => {
      const schemas = await get('/api/v1/config_schemas');
      const schema = (Array.isArray(schemas) ? schemas : []).find((item: unknown) => packOf(item) === ref) as { attributes?: unknown } | undefined;
      return typeof schema?.attributes === 'object' && schema.attributes !== null ? (schema.attributes as Record<string, ParameterSpec>) : undefined;
    },
    getPackConfig: async (ref) => {
      const configs = await get('/api/v1/configs');
      return valuesOf((Array.isArray(configs) ? configs : []).find((config: unknown) => packOf(config) === ref));
    },
    savePackConfig: async (ref, values) => valuesOf((await call('PUT', `/api/v1/configs/${encodeURIComponent(ref)}`, values)).data) ?? {},
    listKeys: (scope) => list(`/api/v1/keys?scope=${scope === 'st2kv.user' ? 'user' : 'system'}`, readKeyValuePair),
    revealKey: async (name, scope) => readKeyValuePair(await get(keyPath(name, scope, '&decrypt=true'))),
    setKey: async (setting) =>
      readKeyValuePair(
        (await call('PUT', keyPath(setting.name, setting.scope), { name: setting.name, value: setting.value, secret: setting.secret, scope: setting.scope, ...(setting.ttl ? { ttl: setting.ttl } : {}) })).data,
      ),
    async deleteKey(name, scope) {
      await call('DELETE', keyPath(name, scope));
    },
    listSensors: () => list('/api/v1/sensortypes', readSensorType),
    // st2 sensor enable/disable: a PUT with `enabled` (the server takes only that field).
    setSensorEnabled: async (ref, enabled) => readSensorType((await call('PUT', `/api/v1/sensortypes/${encodeURIComponent(ref)}`, { enabled })).data),
    restartSensor: async (ref) => readSensorType((await call('POST', `/api/v1/sensortypes/${encodeURIComponent(ref)}/restart`)).data),
    listTriggerTypes: () => list('/api/v1/triggertypes', readTriggerType),
    listTriggerInstances: (trigger) => list(`/api/v1/triggerinstances?limit=50${trigger ? `&trigger=${encodeURIComponent(trigger)}` : ''}`, readTriggerInstance),
    fireTrigger: async (trigger, payload) => triggerInstanceIdOf((await call('POST', '/api/v1/webhooks/st2', { trigger, payload })).data),
    reEmitTriggerInstance: async (id) => triggerInstanceIdOf((await call('POST', `/api/v1/triggerinstances/${encodeURIComponent(id)}/re_emit`)).data),
    listApiKeys: () => list('/api/v1/apikeys', readApiKey),
    async createApiKey(request) {
      const { data } = await call('POST', '/api/v1/apikeys', { user: request.user, role: request.role, ...(request.description ? { metadata: { description: request.description } } : {}) });
      const key = typeof data === 'object' && data !== null ? (data as { key?: unknown }).key : undefined;
      if (typeof key !== 'string') throw new Error('the API did not answer the key it made');
      return { apiKey: readApiKey(data), key };
    },
    setApiKeyEnabled: async (id, enabled) => readApiKey((await call('PUT', `/api/v1/apikeys/${encodeURIComponent(id)}`, { enabled })).data),
    async deleteApiKey(id) {
      await call('DELETE', `/api/v1/apikeys/${encodeURIComponent(id)}`);
    },
    streamUrl: (path) => `${path}${path.includes('?') ? '&' : '?'}${credentialQuery(credential)}=${encodeURIComponent(credential.value)}`,
  };
}
