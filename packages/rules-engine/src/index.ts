export { evaluateCriteria, type CriteriaOptions, type CriteriaResult, type RenderTemplate } from './criteria.ts';
export { operatorNames } from './operators.ts';
export { criteriaProblems } from './criteria-check.ts';
export { renderActionParameters } from './action-parameters.ts';
export {
  builtinTriggerTypes,
  registerBuiltinTriggerTypes,
  webhookTriggerType,
  intervalTimerType,
  dateTimerType,
  cronTimerType,
} from './builtin-trigger-types.ts';
export { triggerRefFor, dispatchedTriggerRef } from './trigger-records.ts';
export { saveRule, getRule, setRuleEnabled, deleteRule, registerPackRules, unregisterPackRules, type RuleSource } from './rule-registry.ts';
export { dispatchTrigger, resolveTriggerType, type DispatchRequest } from './trigger-dispatch.ts';
export { createTriggerProcessor, rulesUser, type ExecutionRequest, type ExecutionRequester, type TriggerProcessorDeps } from './trigger-processor.ts';
export { startRulesEngine, type RulesEngine, type RulesEngineOptions } from './rules-engine-service.ts';
export { rulesApiRoutes } from './api-routes.ts';
export { executionRequester, type ExecutionCreator } from './execution-requester.ts';
export { sitePackConfig } from './pack-config.ts';
