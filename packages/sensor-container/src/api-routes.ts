import type { FastifyInstance } from 'fastify';
import { PackrunError, type SensorRecord, type Store } from '@packrun/core';
import type { SensorContainer, SensorView } from './sensor-container.ts';

/**
 * REST routes for sensors. With a container in this process (embedded `packrun up`) the live
 * state comes from it. Without one (the API on its own) the state is the last one the remote
 * container wrote to the sensor's record (`status: unknown` if none did), and enable, disable and
 * restart are requests in the store that the remote container acts on at its next refresh.
 */
const refParams = {
  type: 'object',
  properties: { ref: { type: 'string', minLength: 1, maxLength: 300 } },
  required: ['ref'],
} as const;

/** A sensor as seen from an API without the container: its record and the container's last report. */
type RemoteSensorView = Omit<SensorRecord, 'runtime'> & Record<string, unknown> & { status: string };

function remoteView(record: SensorRecord): RemoteSensorView {
  const { runtime, ...rest } = record;
  return { ...rest, ...(runtime ?? {}), ref: record.ref, enabled: record.enabled, status: typeof runtime?.['status'] === 'string' ? runtime['status'] : 'unknown' };
}

export interface SensorRoutesDeps {
  store: Store;
  container?: SensorContainer;
}

export function sensorApiRoutes(app: FastifyInstance, deps: SensorRoutesDeps): void {
  const { store, container } = deps;

  async function views(): Promise<Array<SensorView | RemoteSensorView>> {
    if (container) return container.list();
    return (await store.sensors.find({}, { sort: { id: 1 } })).map(remoteView);
  }

  async function view(ref: string) {
    const found = (await views()).find((item) => item.ref === ref);
    if (!found) {
      throw new PackrunError('SENSOR_NOT_FOUND', `no sensor "${ref}"`, { hint: 'See `packrun sensor list`.', details: { sensor: ref } });
    }
    return found;
  }

  app.get('/api/v1/sensors', { config: { access: 'read' }, schema: { summary: 'Sensors with their process state', tags: ['sensors'] } }, async () => views());

  app.get('/api/v1/sensors/:ref', { config: { access: 'read' }, schema: { summary: 'One sensor: state, last error, last stderr lines', tags: ['sensors'], params: refParams } }, async (request) =>
    view((request.params as { ref: string }).ref),
  );

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`/api/v1/sensors/:ref/${verb}`, { config: { access: 'operate' }, schema: { summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a sensor`, tags: ['sensors'], params: refParams } }, async (request) => {
      const ref = (request.params as { ref: string }).ref;
      await view(ref);
      await store.sensors.update({ id: ref }, { set: { enabled } });
      await container?.refresh();
      return view(ref);
    });
  }

  app.post('/api/v1/sensors/:ref/restart', { config: { access: 'operate' }, schema: { summary: 'Restart a running sensor now', tags: ['sensors'], params: refParams } }, async (request) => {
    const ref = (request.params as { ref: string }).ref;
    const current = await view(ref);
    if (!current.enabled) {
      throw new PackrunError('SENSOR_DISABLED', `sensor "${ref}" is disabled; enable it to start it`, { details: { sensor: ref } });
    }
    if (container) {
      await container.restart(ref);
    } else {
      await store.sensors.update({ id: ref }, { set: { restartRequestedAt: new Date().toISOString() } });
    }
    return view(ref);
  });
}
