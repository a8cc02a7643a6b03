export { startApiService, type ApiService, type ApiServiceOptions } from './api-service.ts';
export { createApiKey } from './auth/api-key-records.ts';
export { listRouteAccess } from './auth/authorize.ts';
export type { ParameterValidator } from './executions/execution-service.ts';
export { createExecutionAuthority } from './executions/execution-authority.ts';
export { createExecutionTriggers } from './executions/execution-triggers.ts';
