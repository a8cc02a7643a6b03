import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream, type EventStreamReader } from '../helpers/event-stream.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { nodeSensorPack, realPython, writePack } from '../sensors/sensor-fixtures.ts';

/**
 * The event stream's sensor and trigger instance events from a real `packrun up` running real
 * Node sensor processes: a crash and a restart reach a subscriber as st2.sensor__update with the
 * state `/sensortypes` shows, and a trigger fired through the webhook as
 * st2.trigger_instance__create, then __update once the rules engine has processed it.
 */
let up: PackrunProcess;
let home: string;
let packDir: string;
let url: string;
let api: Awaited<ReturnType<typeof apiAt>>;
const open: EventStreamReader[] = [];

interface SensorEvent {
  ref: string;
  status: string;
  enabled: boolean;
  starts?: number;
  pid?: number;
  last_error?: string;
  last_error_stderr?: string[];
}

async function subscribe(events: string): Promise<EventStreamReader> {
  const reader = await openEventStream(new URL(`/api/v1/stream?events=${events}`, url), { 'st2-api-key': api.key });
  expect(reader.status).toBe(200);
  open.push(reader);
  return reader;
}

const sensor = (event: { data: Record<string, unknown> }): SensorEvent => event.data as unknown as SensorEvent;

beforeAll(async () => {
  packDir = await writePack(nodeSensorPack('1.0.0'));
  home = `${packDir}-home`;
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const env = {
    PACKRUN_HOME: home,
    PACKRUN_PYTHON: realPython(),
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: url,
    PACKRUN_SENSOR_BACKOFF_INITIAL: '0.2',
    PACKRUN_SENSOR_FAILING_AFTER: '2',
    // Slow on purpose: the events come with the state changes, not with the periodic refresh.
    PACKRUN_SENSOR_REFRESH: '30',
  };
  up = startPackrun(['up'], env);
  await up.waitForOutput(/packrun is up/, 110_000);
  api = await apiAt(url, home);
  for (const source of [path.join(repoRoot, 'packs/core'), packDir]) {
    const install = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [source] });
    await retryUntil(async () => (await api.call<{ status: string }>('GET', `/api/v1/executions/${install.body.execution_id}`)).body.status === 'succeeded', {
      what: `install of ${source}`,
      withinMs: 60_000,
    });
  }
  await retryUntil(async () => (await api.call<{ status: string }>('GET', '/api/v1/sensortypes/nodesense.Emitter')).body.status === 'running', { what: 'Emitter running', withinMs: 40_000 });
}, 150_000);

afterAll(async () => {
  for (const reader of open) reader.close();
  up?.signal('SIGTERM');
  await up?.exited;
  for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sensor and trigger instance events on the stream', () => {
  it('sends st2.sensor__update when a sensor crashes and when it is restarted, with its error and restarts', async () => {
    const stream = await subscribe('st2.sensor__update');
    const crasherBefore = (await api.call<SensorEvent>('GET', '/api/v1/sensortypes/nodesense.Crasher')).body;
    // Restarted by hand, the crasher starts at once and dies: both reach the subscriber.
    expect((await api.call('POST', '/api/v1/sensortypes/nodesense.Crasher/restart')).status).toBe(200);
    const crashed = sensor(
      await stream.waitFor(
        (event) => sensor(event).ref === 'nodesense.Crasher' && (sensor(event).starts ?? 0) > (crasherBefore.starts ?? 0) && ['backing_off', 'failing'].includes(sensor(event).status),
        'the crasher\'s crash after its restart',
      ),
    );
    expect(crashed.last_error).toMatch(/exited with code 3/);
    expect(crashed.last_error_stderr).toContain('boom: the upstream is gone');
    // Its start was sent too, before the crash.
    expect(stream.events.some((event) => sensor(event).ref === 'nodesense.Crasher' && sensor(event).status === 'starting')).toBe(true);

    const emitterBefore = (await api.call<SensorEvent>('GET', '/api/v1/sensortypes/nodesense.Emitter')).body;
    expect((await api.call('POST', '/api/v1/sensortypes/nodesense.Emitter/restart')).status).toBe(200);
    const restarted = sensor(
      await stream.waitFor(
        (event) => sensor(event).ref === 'nodesense.Emitter' && sensor(event).status === 'running' && sensor(event).starts === (emitterBefore.starts ?? 0) + 1,
        'the emitter running again',
      ),
    );
    expect(restarted.pid).toBeDefined();
    expect(restarted.pid).not.toBe(emitterBefore.pid);

    expect((await api.call('PUT', '/api/v1/sensortypes/nodesense.Emitter', { enabled: false })).status).toBe(200);
    await stream.waitFor((event) => sensor(event).ref === 'nodesense.Emitter' && !sensor(event).enabled && sensor(event).status === 'stopped', 'the emitter disabled and stopped');
    const sinceDisabled = stream.events.length;
    expect((await api.call('PUT', '/api/v1/sensortypes/nodesense.Emitter', { enabled: true })).status).toBe(200);
    await stream.waitFor(
      (event) => stream.events.indexOf(event) >= sinceDisabled && sensor(event).ref === 'nodesense.Emitter' && sensor(event).enabled && sensor(event).status === 'running',
      'the emitter enabled and running',
    );
  });

  it('sends st2.trigger_instance__create when a trigger fires and __update once it is processed', async () => {
    const stream = await subscribe('st2.trigger_instance__*');
    const fired = await api.call<{ trigger_instance_id: string }>('POST', '/api/v1/webhooks/st2', { trigger: 'nodesense.tick', payload: { n: -42 } });
    expect(fired.status).toBe(202);
    const id = fired.body.trigger_instance_id;
    const created = await stream.waitFor((event) => event.event === 'st2.trigger_instance__create' && event.data['id'] === id, 'the instance created');
    expect(created.data).toMatchObject({ id, trigger: 'nodesense.tick', payload: { n: -42 }, status: 'processing', source: 'webhook:st2' });
    await stream.waitFor((event) => event.event === 'st2.trigger_instance__update' && event.data['id'] === id && event.data['status'] === 'processed', 'the instance processed');
    // The sensors' own dispatches come the same way.
    await stream.waitFor((event) => event.event === 'st2.trigger_instance__create' && event.data['source'] === 'nodesense.Emitter', 'an instance the emitter dispatched');
    // Only what was asked for: no other event names.
    expect(stream.events.every((event) => event.event.startsWith('st2.trigger_instance__'))).toBe(true);
  });
});
