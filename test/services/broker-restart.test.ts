import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { homeWithPacks } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { rabbitNodeUnavailable, startRabbitNode, type RabbitNode } from '../helpers/rabbitmq-node.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

// A private broker node: this test stops and starts it, which must never happen to the machine's.
const unavailable = rabbitNodeUnavailable();
if (unavailable) console.warn(`skipping the broker restart test: ${unavailable}`);

const processes: PackrunProcess[] = [];
let node: RabbitNode | undefined;

afterAll(async () => {
  for (const process of processes) process.signal('SIGTERM');
  await Promise.all(processes.map((process) => process.exited));
  await node?.dispose();
});

describe.skipIf(unavailable !== undefined)('RabbitMQ restarted while executions are queued', () => {
  let api: Awaited<ReturnType<typeof apiAt>>;
  let server: PackrunProcess;
  let runner: PackrunProcess;

  beforeAll(async () => {
    // A broker user of Packrun's own: the services refuse guest where jobs could reach the broker.
    node = await startRabbitNode({ hardened: true });
    const home = await homeWithPacks(['core']);
    const port = await freePort();
    const env = {
      ...home.env,
      PACKRUN_RABBITMQ_URL: node.url,
      PACKRUN_API_PORT: String(port),
      PACKRUN_API_URL: `http://127.0.0.1:${port}`,
      PACKRUN_RUNNER_HEARTBEAT: '1',
      PACKRUN_RUNNER_CONCURRENCY: '2',
    };
    server = startPackrun(['api'], env);
    processes.push(server);
    await server.waitForOutput(/packrun api listening/);
    api = await apiAt(env.PACKRUN_API_URL, home.home);
    runner = startPackrun(['action-runner'], env);
    processes.push(runner);
    await runner.waitForOutput(/consuming/);
  });

  it('delays them, loses none, and the services recover without a restart', async () => {
    const create = async (cmd: string) => {
      const response = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd } });
      expect(response.status).toBe(201);
      return response.body.id;
    };
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push(await create('sleep 0.5'));
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${ids[0]}`)).body.status === 'running', {
      what: 'first execution running',
    });

    await node!.stop();
    await retryUntil(async () => (await api.call('GET', '/api/v1/ready')).status === 503, { what: 'API reports the broker gone' });
    // Created while the broker is down: stored, answered, queued once it is back.
    for (let i = 0; i < 3; i += 1) ids.push(await create('echo during-outage'));
    await node!.start();

    await retryUntil(async () => {
      const records = await Promise.all(ids.map(async (id) => (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body));
      return records.every((record) => record.status === 'succeeded');
    }, { withinMs: 120_000, everyMs: 250, what: 'every execution succeeded after the restart' });
    await retryUntil(async () => (await api.call('GET', '/api/v1/ready')).status === 200, { what: 'API ready again' });

    // The same processes serve new work.
    const after = await create('echo after');
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${after}`)).body.status === 'succeeded', {
      withinMs: 30_000,
      what: 'new execution after recovery',
    });
    expect(server.child.exitCode).toBeNull();
    expect(runner.child.exitCode).toBeNull();
  }, 300_000);
});
