import type { FastifyInstance } from 'fastify';
import { PackrunError, type SensorRecord, type Store } from '@packrun/core';
import type { SensorContainer, SensorView } from './sensor-container.ts';

/**
 * REST routes for sensors. With a container in this process (embedded `packrun up`) the live
 * state comes from it; without one (the API on its own) enable and disable still work through
 * the store, which the remote container re-reads, and the state shows as `unknown`.
 */
const refParams = {
  type: 'object',
  properties: { ref: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['ref'],
} as const;

export interface SensorRoutesDeps {
  store: Store;
  container?: SensorContainer;
}

export function sensorApiRoutes(app: FastifyInstance, deps: SensorRoutesDeps): void {
  const { store, container } = deps;

  async function views(): Promise<Array<SensorView | (SensorRecord & { status: 'unknown' })>> {
    if (container) return container.list();
    return (await store.sensors.find({}, { sort: { id: 1 } })).map((record) => ({ ...record, status: 'unknown' as const }));
  }

  async function view(ref: string) {
    const found = (await views()).find((item) => item.ref === ref);
    if (!found) {
      throw new PackrunError('SENSOR_NOT_FOUND', `no sensor "${ref}"`, { hint: 'See `packrun sensor list`.', details: { sensor: ref } });
    }
    return found;
  }

  app.get('/api/v1/sensors', { schema: { summary: 'Sensors with their process state', tags: ['sensors'] } }, async () => views());

  app.get('/api/v1/sensors/:ref', { schema: { summary: 'One sensor: state, last error, last stderr lines', tags: ['sensors'], params: refParams } }, async (request) =>
    view((request.params as { ref: string }).ref),
  );

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/api/v1/sensors/:ref/${verb}`, { schema: { summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a sensor`, tags: ['sensors'], params: refParams } }, async (request) => {
      const ref = (request.params as { ref: string }).ref;
      await view(ref);
      await store.sensors.update({ id: ref }, { set: { enabled } });
      await container?.refresh();
      return view(ref);
    });
  }

  app.post('/api/v1/sensors/:ref/restart', { schema: { summary: 'Restart a running sensor now', tags: ['sensors'], params: refParams } }, async (request) => {
    const ref = (request.params as { ref: string }).ref;
    const current = await view(ref);
    if (!container) {
      throw new PackrunError('SENSOR_CONTAINER_UNAVAILABLE', 'no sensor container runs in this API process', {
        hint: 'restart it where `packrun sensor-container` runs, or disable and enable it',
        details: { sensor: ref },
      });
    }
    if (!current.enabled) {
      throw new PackrunError('SENSOR_DISABLED', `sensor "${ref}" is disabled; enable it to start it`, { details: { sensor: ref } });
    }
    await container.restart(ref);
    return view(ref);
  });
}
