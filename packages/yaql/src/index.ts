export { YaqlEngine, CompiledExpression, type EngineOptions, type EvaluateOptions, type CallContext, type CallArguments, type YaqlFunction, type FunctionOptions } from './engine.ts';
export { YaqlError, type YaqlErrorKind } from './errors.ts';
export { defaultLimits, WorkMeter, type Limits } from './limits.ts';
export type { References, VariableReference, FunctionReference, NamedRead } from './inspection.ts';
