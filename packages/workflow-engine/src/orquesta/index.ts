export { orquestaDriver } from './driver.ts';
export { st2InspectionErrors } from './inspect.ts';
