export { orquestaDriver, OrquestaDriver, type OrquestaDefinition } from './driver.ts';
