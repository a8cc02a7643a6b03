export { startSensorContainer, type SensorContainer, type SensorContainerOptions, type SensorView } from './sensor-container.ts';
export { registerPackSensors, unregisterPackSensors } from './sensor-registry.ts';
export type { SensorState, SensorStatus } from './sensor-supervisor.ts';
export type { BackoffPolicy } from './backoff.ts';
export { sensorApiRoutes, sensorReadAccess, sensorTypeViews, type SensorRoutesDeps } from './api-routes.ts';
export type { DispatchIntakeCounts } from './broker-dispatch/dispatch-intake.ts';
export { chooseSensorPublishing, type SensorPublishing } from './broker-dispatch/publishing-choice.ts';
export { st2SensorType, type St2SensorType } from './st2-sensor-type.ts';
