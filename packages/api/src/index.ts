export { startApiService, type ApiService, type ApiServiceOptions } from './api-service.ts';
export { createApiKey } from './auth.ts';
export type { ParameterValidator } from './executions/execution-service.ts';
