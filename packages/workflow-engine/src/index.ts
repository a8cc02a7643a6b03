export * from './driver.ts';
export { orquestaDriver, OrquestaDriver, type OrquestaDefinition } from './orquesta/index.ts';
