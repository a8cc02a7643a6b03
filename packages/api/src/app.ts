import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { inputLimits, inputSubject, reportBounds, type Bus, type KeyValues, type Logger, type PackrunConfig, type Store } from '@packrun/core';
import { registerBoundedJsonBody } from './bounded-json-body.ts';
import type { StoreLedger } from '@packrun/action-runner';
import { callerOfRequest, registerAuthorization } from './auth/authorize.ts';
import type { ApiCaller } from './auth/caller.ts';
import { errorHandler, sendError } from './http-errors.ts';
import { registerOpenApi } from './openapi.ts';
import type { EventHub } from './event-hub.ts';
import type { ExecutionService } from './executions/execution-service.ts';
import type { PackOperations } from './packs/pack-operations.ts';
import { healthRoutes } from './routes/health.ts';
import { executionRoutes } from './routes/executions.ts';
import { streamRoutes } from './routes/stream.ts';
import { actionRoutes } from './routes/actions.ts';
import { packRoutes } from './routes/packs.ts';
import { packUploadRoutes } from './routes/pack-uploads.ts';
import { policyRoutes } from './routes/policies.ts';
import { keyRoutes } from './routes/keys.ts';
import { runnerRoutes } from './routes/runners.ts';
import { rulesApiRoutes } from '@packrun/rules-engine';
import { sensorApiRoutes, type SensorContainer } from '@packrun/sensor-container';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { inquiryRoutes } from './routes/inquiries.ts';
import { requestForLog } from './request-log.ts';
import { st2AuthRoutes } from './st2/auth-routes.ts';
import { canonicalApiUrl } from './st2/path-aliases.ts';
import { acceptPythonBooleans } from './st2/query-booleans.ts';
import { st2UserRoute } from './st2/user-route.ts';
import type { InquiryService } from './inquiries/inquiry-service.ts';
import { registerCors } from './web/cors.ts';
import { builtWebUiRoot, createWebUi } from './web/static-files.ts';
import { sandboxRoute } from './routes/sandbox.ts';
import { packConfigRoutes } from './routes/pack-configs.ts';
import { versionRoute } from './routes/version.ts';

export interface ApiAppDeps {
  config: PackrunConfig;
  store: Store;
  bus: Bus;
  keyValues: KeyValues;
  logger: Logger;
  executions: ExecutionService;
  inquiries: InquiryService;
  ledger: StoreLedger;
  hub: EventHub;
  packs: PackOperations;
  /** The sensor container of this process (embedded mode), for live sensor state and restarts. */
  sensorContainer?: SensorContainer;
  /** false only for tests of the unauthenticated surface; `packrun up` always requires keys. */
  requireApiKey: boolean;
  /** The running Packrun's version as `packrun --version` prints it (GET /api/v1/version). */
  version?: string;
  /** The built web UI's folder; default packages/web/dist (tests give a folder of their own). */
  webUiRoot?: string;
}

/** The fastify app with every route, without listening: tests drive it with `inject()`. */
export async function buildApiApp(deps: ApiAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Credentials in query strings (st2's ?x-auth-token=, ?st2-api-key=) never reach the log.
    loggerInstance: deps.logger.child({ component: 'api' }, { serializers: { req: requestForLog } }) as FastifyBaseLogger,
    // The prefixes st2's clients derive (/v1, /api, /auth, /stream) onto the one route table.
    rewriteUrl: (request) => canonicalApiUrl(request.url ?? '/'),
    // st2client asks for collections with a trailing slash (`/executions/?limit=50`,
    // `/keys/?scope=all`); the route matched decides access as it does without one.
    routerOptions: { ignoreTrailingSlash: true },
    // SSE responses stay open; closing the server must not wait for their clients.
    forceCloseConnections: true,
    // Routes carrying a runner's report of a result raise it (runners.ts).
    bodyLimit: deps.config.inputMaxBytes,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false } },
  });
  app.setErrorHandler(errorHandler(deps.logger));
  registerBoundedJsonBody(app, {
    input: { limits: inputLimits(deps.config), subject: inputSubject('the request body') },
    report: reportBounds(deps.config),
  });
  // Before authorization: a CORS preflight carries no credentials.
  registerCors(app, deps.config.apiCorsOrigins);
  acceptPythonBooleans(app);
  // First: every route registered after this must declare its access.
  registerAuthorization(app, deps.store, {
    required: deps.requireApiKey,
    datastoreSystemWriters: deps.config.datastoreSystemWriters,
    executionReaders: deps.config.actionApiExecutionReaders,
  });
  await registerOpenApi(app);
  healthRoutes(app, deps);
  versionRoute(app, { version: deps.version });
  const webUi = deps.config.webUi ? createWebUi(deps.webUiRoot ?? builtWebUiRoot) : undefined;
  // st2's web_url: the UI's address as the operator names it, else the one this API listens on.
  const webUiBase = (): string | undefined => (webUi?.served() ? (deps.config.webUiUrl ?? listeningAddress(app)) : undefined);
  sandboxRoute(app, deps);
  executionRoutes(app, { ...deps, webUiBase });
  streamRoutes(app, { ...deps, webUiBase });
  actionRoutes(app, deps);
  packRoutes(app, deps);
  packConfigRoutes(app, deps);
  packUploadRoutes(app, deps);
  policyRoutes(app, deps);
  keyRoutes(app, deps);
  runnerRoutes(app, deps);
  inquiryRoutes(app, deps);
  rulesApiRoutes(app, { ...deps, authorOf: (request) => ruleAuthorOf(callerOfRequest(request)), packCodeOf: (request) => callerOfRequest(request).packCode?.pack });
  sensorApiRoutes(app, { store: deps.store, bus: deps.bus, ...(deps.sensorContainer ? { container: deps.sensorContainer } : {}) });
  apiKeyRoutes(app, deps);
  st2AuthRoutes(app, deps);
  st2UserRoute(app, deps);
  app.setNotFoundHandler(async (request, reply) => {
    // The web UI answers the paths no route has outside the API's prefixes (its deep links).
    if (webUi?.owns(request) && (await webUi.send(request, reply))) return;
    // The path as the client sent it, before the st2 aliases rewrote it.
    sendError(reply, 404, { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.originalUrl.split('?')[0]}` });
  });
  return app;
}

/** Where a client on this host reaches the API once it listens: a wildcard listen address is reached on loopback. */
export function listeningAddress(app: FastifyInstance): string | undefined {
  const address = app.server.address();
  if (address === null || typeof address === 'string') return undefined;
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** The part of a caller a rule keeps: whose user scope it reads and what it may decrypt. */
function ruleAuthorOf(caller: ApiCaller): { user: string; mayDecrypt: ApiCaller['mayDecrypt'] } {
  return { user: caller.user, mayDecrypt: caller.mayDecrypt };
}
