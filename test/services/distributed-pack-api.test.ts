import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, queueNames, type St2Execution } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { retryUntil } from '../helpers/retry-until.ts';
import { realPython } from '../runner/fixtures.ts';
import { testUidRange } from '../sandbox/sandbox-fixture.ts';
import { apiProbePackDir, resultOf } from '../st2client/pack-code-api-fixture.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

/**
 * StackStorm's API for pack code in the distributed deployment: `packrun action-runner` (its own
 * process, a runner key, RabbitMQ) asks for the job's token in its claim over the API, gives it to
 * a job of a pack in its PACKRUN_ACTION_API_PACKS with the API's port forwarded into the job's
 * namespace, and the token dies with the execution as under `packrun up`.
 */
const rabbitUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `packrun-test-dist-api-${process.pid}-${Date.now().toString(36)}`;
const processes: PackrunProcess[] = [];
let scratch: string;
let env: Record<string, string>;
let api: Awaited<ReturnType<typeof apiAt>>;
let apiPort: number;

async function execute(action: string, parameters: Record<string, unknown>): Promise<St2Execution> {
  const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  let done: St2Execution | undefined;
  await retryUntil(
    async () => {
      done = (await api.call<St2Execution>('GET', `/api/v1/executions/${created.body.id}`)).body;
      return ['succeeded', 'failed', 'timeout', 'canceled', 'abandoned'].includes(done.status);
    },
    { what: `${action} to end`, withinMs: 120_000, everyMs: 50 },
  );
  return done!;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) return;
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-dist-api-'));
  chmodSync(scratch, 0o711);
  apiPort = await freePort();
  env = {
    PACKRUN_HOME: path.join(scratch, 'home'),
    PACKRUN_PYTHON: realPython(),
    PACKRUN_RABBITMQ_URL: rabbitUrl,
    PACKRUN_RABBITMQ_PREFIX: prefix,
    PACKRUN_API_PORT: String(apiPort),
    PACKRUN_API_URL: `http://127.0.0.1:${apiPort}`,
    PACKRUN_RUNNER_HEARTBEAT: '1',
    PACKRUN_LOG_LEVEL: 'warn',
    ...testUidRange(),
  };
  await installPack([apiProbePackDir], { config: loadConfig(env) });
  const server = startPackrun(['api'], env);
  processes.push(server);
  await server.waitForOutput(/packrun api listening/, 120_000);
  api = await apiAt(env['PACKRUN_API_URL']!, env['PACKRUN_HOME']!);
  const runnerKey = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user: 'runner-api', role: 'runner' });
  expect(runnerKey.status).toBe(201);
  const runner = startPackrun(['action-runner'], { ...env, PACKRUN_API_KEY: runnerKey.body.key, PACKRUN_ACTION_API_PACKS: 'apiprobe' });
  processes.push(runner);
  await runner.waitForOutput(/action runner \S+ consuming/, 120_000);
  const set = await api.call('PUT', `/api/v1/keys/${encodeURIComponent('apiprobe.Own:note')}`, { value: 'own-note', scope: 'system' });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
}, 300_000);

afterAll(async () => {
  for (const process of processes) process.signal('SIGTERM');
  await Promise.all(processes.map((process) => process.exited));
  if (scratch) {
    const connection = await amqp.connect(rabbitUrl);
    const channel = await connection.createChannel();
    for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`).catch(() => undefined);
    await channel.deleteExchange(`${prefix}.events`).catch(() => undefined);
    await connection.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe.runIf(process.getuid?.() === 0)('a separate action runner gives pack code StackStorm\'s API', () => {
  it('hands the job its token and the API\'s port, within the token\'s limits, and the token dies with the execution', async () => {
    const answers = resultOf<Array<{ status: number; body: unknown }>>(
      await execute('apiprobe.probe', { case: 'calls', calls: [['GET', '/v1/keys/apiprobe.Own:note'], ['GET', '/v1/apikeys']] }),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 403]);
    expect(JSON.stringify(answers[0]?.body)).toContain('own-note');
    const { token } = resultOf<{ token: string }>(await execute('apiprobe.probe', { case: 'leak' }));
    const after = await api.call('GET', '/api/v1/actions/apiprobe.probe', undefined, { 'x-auth-token': token });
    expect(after.status).toBe(401);
  });
});
