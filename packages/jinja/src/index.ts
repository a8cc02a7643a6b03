export { Environment, Template, CompiledExpression, type EnvironmentOptions, type RenderOptions, type TemplateContext } from './environment.ts';
export { TemplateError, type TemplateErrorKind } from './errors.ts';
export { defaultLimits, WorkMeter, type Limits } from './limits.ts';
export { bindArguments, callArguments, type CallArguments } from './arguments.ts';
export type { FilterImpl, FilterDefinition, TestImpl } from './registry.ts';
export { StringWithAttributes, isUndefined, isPlainObject, type CallContext, type TemplateFunctionImpl } from './template-values.ts';
export { dictEntries, ownValue } from './data-access.ts';
export { pyStr, pyRepr, pyJsonDumps, type PyJsonOptions } from './python-values.ts';
