import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

// packrun up as a real process meeting faults of its own host: its process stopped for longer
// than the heartbeat timeout (SIGSTOP, as a stalled event loop, a paused VM or a debugger do),
// and its API address taken by another listener.

let home: PackrunHome;
const running: PackrunProcess[] = [];
const listeners: net.Server[] = [];

beforeAll(async () => {
  home = await homeWithPacks(['core']);
}, 120_000);

afterEach(async () => {
  for (const server of running.splice(0)) {
    server.signal('SIGCONT');
    server.signal('SIGKILL');
    await server.exited;
  }
  for (const listener of listeners.splice(0)) await new Promise((resolve) => listener.close(resolve));
});

afterAll(() => {
  for (const server of running) server.signal('SIGKILL');
});

function envOn(port: number): Record<string, string> {
  return { ...home.env, PACKRUN_API_PORT: String(port), PACKRUN_API_URL: `http://127.0.0.1:${port}`, PACKRUN_RUNNER_HEARTBEAT: '1' };
}

function up(port: number): PackrunProcess {
  const server = startPackrun(['up'], envOn(port));
  running.push(server);
  return server;
}

async function listenOn(port: number): Promise<void> {
  const listener = net.createServer();
  listeners.push(listener);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1', resolve);
  });
}

describe('packrun up', () => {
  it('stopped longer than the heartbeat timeout, does not abandon the executions of its own runner', async () => {
    const port = await freePort();
    const server = up(port);
    await server.waitForOutput(/packrun is up/);
    const api = await apiAt(`http://127.0.0.1:${port}`, home.home);
    const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'sleep 3; echo woke' } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body.status === 'running', { withinMs: 30_000, what: 'running' });

    // Heartbeats every second, dead after 3 silent: 8 s stopped is well past that. Only the
    // server's own process is stopped: the action's process runs on and ends meanwhile.
    process.kill(server.child.pid!, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 8000));
    process.kill(server.child.pid!, 'SIGCONT');

    let record: St2Execution | undefined;
    await retryUntil(async () => isCompleted((record = (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body).status), { withinMs: 30_000, what: 'completed' });
    expect(record?.status, JSON.stringify(record?.error)).toBe('succeeded');
    expect(String(record?.result?.['stdout'])).toContain('woke');
    const runners = await api.call<Array<{ alive: boolean }>>('GET', '/api/v1/runners');
    expect(runners.body.every((runner) => runner.alive)).toBe(true);
    server.signal('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 120_000);

  it('on a port already taken exits non-zero at once naming the address, and lets the store go', async () => {
    const port = await freePort();
    await listenOn(port);
    const refused = up(port);
    const code = await Promise.race([refused.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
    expect(code, refused.output()).toBe(2);
    expect(refused.output()).toContain('API_ADDRESS_IN_USE');
    expect(refused.output()).toContain(`127.0.0.1:${port}`);
    expect(refused.output()).not.toMatch(/\n\s+at /); // no stack trace

    // The store lock went with it: a server on a free port starts on the same PACKRUN_HOME...
    const otherPort = await freePort();
    const server = up(otherPort);
    await server.waitForOutput(/packrun is up/);
    // ...and a second one there is still refused by the lock, not by the address.
    const second = up(await freePort());
    // Held by another process: not available now (docs/errors.md, exit statuses).
    expect(await second.exited).toBe(3);
    expect(second.output()).toContain('STORE_LOCKED');
    server.signal('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 180_000);
});

describe('packrun api', () => {
  it('on a port already taken exits non-zero at once naming the address', async () => {
    const port = await freePort();
    await listenOn(port);
    const refused = startPackrun(['api'], envOn(port));
    running.push(refused);
    const code = await Promise.race([refused.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
    expect(code, refused.output()).toBe(2);
    expect(refused.output()).toContain(`API_ADDRESS_IN_USE`);
    expect(refused.output()).toContain(`127.0.0.1:${port}`);
  }, 120_000);
});
