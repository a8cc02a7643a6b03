import type { FastifyInstance } from 'fastify';
import { PackrunError, st2ListQueryProperties, st2Page, type Bus, type Filter, type RouteAccess, type SensorRecord, type St2ListQuery, type Store } from '@packrun/core';
import type { SensorContainer } from './sensor-container.ts';
import { st2SensorType, type St2SensorType } from './st2-sensor-type.ts';

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

/** Who may read sensors (their stderr may carry what the sensor printed): the REST routes and the stream's sensor events. */
export const sensorReadAccess = 'read' satisfies RouteAccess;

export interface SensorRoutesDeps {
  store: Store;
  container?: SensorContainer;
  /** Where an enable or disable is published (`sensor-updates`), for the event stream. */
  bus?: Pick<Bus, 'publish'>;
}

/** The sensors as `/sensortypes` shows them: the container's live state when it runs here, else what was written to their records. */
export async function sensorTypeViews(deps: Pick<SensorRoutesDeps, 'store' | 'container'>, filter: Filter<SensorRecord> = {}): Promise<St2SensorType[]> {
  const states = new Map((deps.container ? await deps.container.list() : []).map((state) => [state.ref, state]));
  return (await deps.store.sensors.find(filter, { sort: { id: 1 } })).map((record) => st2SensorType(record, states.get(record.ref)));
}

/**
 * StackStorm's `/sensortypes` (st2 sensor list/get/enable/disable): st2's SensorType with the
 * process state beside it (st2-sensor-type.ts). Enabling and disabling is st2's PUT of the sensor
 * with `enabled` changed; only `enabled` is taken from the body, the rest comes from the pack.
 */
export function sensorApiRoutes(app: FastifyInstance, deps: SensorRoutesDeps): void {
  const { store, container } = deps;
  const views = (filter: Filter<SensorRecord> = {}): Promise<St2SensorType[]> => sensorTypeViews(deps, filter);

  async function view(ref: string): Promise<St2SensorType> {
    const found = (await views({ id: ref }))[0];
    if (!found) {
      throw new PackrunError('SENSOR_NOT_FOUND', `no sensor "${ref}"`, { hint: 'See `packrun sensor list` (`st2 sensor list`).', details: { sensor: ref } });
    }
    return found;
  }

  app.get('/api/v1/sensortypes', {
    config: { access: sensorReadAccess },
    schema: {
      summary: 'Sensors with their process state',
      tags: ['sensors'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { pack: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, enabled: { type: 'boolean' }, trigger_type: { type: 'string', minLength: 1 }, ...st2ListQueryProperties },
      },
    },
  }, async (request, reply) => {
    const query = request.query as St2ListQuery & { pack?: string; name?: string; enabled?: boolean; trigger_type?: string };
    const all = await views({ ...(query.pack ? { pack: query.pack } : {}), ...(query.name ? { name: query.name } : {}), ...(query.enabled === undefined ? {} : { enabled: query.enabled }) });
    return st2Page(reply, query.trigger_type ? all.filter((sensor) => sensor.trigger_types.includes(query.trigger_type!)) : all, query);
  });

  app.get('/api/v1/sensortypes/:ref', { config: { access: sensorReadAccess }, schema: { summary: 'One sensor: state, last error, last stderr lines', tags: ['sensors'], params: refParams } }, async (request) =>
    view((request.params as { ref: string }).ref),
  );

  app.put('/api/v1/sensortypes/:ref', {
    config: { access: 'operate' },
    schema: {
      summary: 'Enable or disable a sensor (st2 sensor enable/disable send the sensor back with `enabled` changed)',
      tags: ['sensors'],
      params: refParams,
      body: { type: 'object', additionalProperties: true, properties: { enabled: { type: 'boolean' } }, required: ['enabled'] },
    },
  }, async (request) => {
    const ref = (request.params as { ref: string }).ref;
    const { enabled } = request.body as { enabled: boolean };
    await view(ref);
    await store.sensors.update({ id: ref }, { set: { enabled } });
    await container?.refresh();
    // The process's start or stop is published by its container; the flag itself is published here.
    await deps.bus?.publish('sensor-updates', { ref, at: new Date().toISOString() }).catch((error: unknown) => request.log.warn({ err: error, sensor: ref }, 'sensor event not published'));
    return view(ref);
  });

  app.post('/api/v1/sensortypes/:ref/restart', { config: { access: 'operate' }, schema: { summary: 'Restart a running sensor now (Packrun\'s own)', tags: ['sensors'], params: refParams } }, async (request) => {
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
