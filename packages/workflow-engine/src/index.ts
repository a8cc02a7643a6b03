export {
  WorkflowInspectionError,
  KeyValueNeeded,
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
export { orquestaDriver, OrquestaDriver, st2InspectionErrors, type OrquestaDefinition } from './orquesta/index.ts';
