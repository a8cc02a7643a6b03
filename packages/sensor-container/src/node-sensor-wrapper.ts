import path from 'node:path';

/** The Node sensor wrapper script (docs/sensors.md), run as `node <nodeSensorWrapper>`. */
export const nodeSensorWrapper = path.resolve(import.meta.dirname, '../node/sensor-wrapper.mjs');
