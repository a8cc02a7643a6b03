import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { homeWithPacks } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

let env: Record<string, string>;
let home: string;
const started: PackrunProcess[] = [];

beforeAll(async () => {
  const packrunHome = await homeWithPacks(['core']);
  home = packrunHome.home;
  const port = await freePort();
  env = {
    ...packrunHome.env,
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_RUNNER_HEARTBEAT: '1',
    PACKRUN_SHUTDOWN_GRACE: '2',
  };
});

afterAll(async () => {
  for (const process of started) process.signal('SIGKILL');
});

async function up(): Promise<PackrunProcess> {
  const server = startPackrun(['up'], env);
  started.push(server);
  await server.waitForOutput(/packrun is up/);
  return server;
}

describe('packrun up on SIGTERM', () => {
  it('lets short executions finish, hands long ones back, and runs those after the next start', async () => {
    const server = await up();
    const api = await apiAt(env['PACKRUN_API_URL']!, home);
    const create = async (cmd: string) =>
      (await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd } })).body.id;
    const short = await create('sleep 0.5; echo short-done');
    const long = await create('sleep 4; echo long-done');
    const running = async (id: string) => (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body.status === 'running';
    await retryUntil(async () => (await running(short)) && (await running(long)), { what: 'both running' });

    // Only the service process gets the signal, as from a process supervisor.
    const stopAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(3_900);

    const again = await up();
    const get = async (id: string) => (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body;
    const shortRecord = await get(short);
    expect(shortRecord.status).toBe('succeeded');
    await retryUntil(async () => (await get(long)).status === 'succeeded', { withinMs: 30_000, what: 'long execution run again' });
    const longRecord = await get(long);
    expect(String(longRecord.result?.['stdout'])).toContain('long-done');
    const statuses = longRecord.log.map((change) => change.status);
    expect(statuses).toEqual(['requested', 'scheduled', 'running', 'scheduled', 'running', 'succeeded']);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 120_000);
});
