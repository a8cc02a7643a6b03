export { orquestaDriver, OrquestaDriver, type OrquestaDefinition } from './driver.ts';
export { st2InspectionErrors } from './inspect.ts';
