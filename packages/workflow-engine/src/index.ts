export {
  WorkflowInspectionError,
  KeyValueNeeded,
  ItemsNeeded,
  type Json,
  type WorkflowSource,
  type WorkflowProblem,
  type StepEnvironment,
  type WorkflowEvent,
  type ChildRequest,
  type WorkflowStatus,
  type StepResult,
  type WorkflowDriver,
} from './driver.ts';
export { orquestaDriver, st2InspectionErrors } from './orquesta/index.ts';
export { childExecutionId } from './child-id.ts';
export { findWorkflowDriver, workflowDriver } from './drivers.ts';
export { startWorkflowEngine, type WorkflowEngine, type WorkflowEngineOptions } from './engine/workflow-engine-service.ts';
export type { TaskExecutions } from './engine/task-executions.ts';
export { checkWorkflowActions } from './inspect-pack.ts';
