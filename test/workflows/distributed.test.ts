import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, queueNames, type St2Execution } from '@packrun/core';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * Workflows in the distributed deployment, real processes on the machine's RabbitMQ. Without
 * MongoDB, `packrun api` owns the embedded store and steps the workflows itself, and a separate
 * `packrun action-runner` runs their tasks. With MongoDB (PACKRUN_TEST_MONGODB_URL), two
 * `packrun workflow-engine` processes share the workflows, and the one holding a workflow is
 * SIGKILLed mid-way: the other finishes it, every task run once. Without it, the process stepping
 * the workflows is `packrun api` itself, and it is the one SIGKILLed and started again.
 */
const rabbitUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const mongoUrl = process.env['PACKRUN_TEST_MONGODB_URL'];
if (mongoUrl === undefined) console.log('skipping the workflow-engine processes on MongoDB: PACKRUN_TEST_MONGODB_URL is not set');

const processes: PackrunProcess[] = [];
const prefixes: string[] = [];
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-wf-dist-'));
});

afterAll(async () => {
  for (const process of processes) process.signal('SIGTERM');
  await Promise.all(processes.map((process) => process.exited));
  const connection = await amqp.connect(rabbitUrl);
  const channel = await connection.createChannel();
  for (const prefix of prefixes) {
    for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
    await channel.deleteExchange(`${prefix}.events`);
  }
  await connection.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function deployment(extra: Record<string, string> = {}): Promise<{ home: PackrunHome; env: Record<string, string>; api: Awaited<ReturnType<typeof apiAt>>; server: PackrunProcess }> {
  const home = await homeWithPacks(['core', '../test/workflows/packs/wftest']);
  const port = await freePort();
  const prefix = `packrun-test-wf-${process.pid}-${Date.now().toString(36)}`;
  prefixes.push(prefix);
  const env = {
    ...home.env,
    PACKRUN_RABBITMQ_URL: rabbitUrl,
    PACKRUN_RABBITMQ_PREFIX: prefix,
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_RUNNER_HEARTBEAT: '1',
    PACKRUN_LOG_LEVEL: 'warn',
    // The machine's broker logs in as guest: accepted only where no job can reach it (distributed-runners.test.ts).
    PACKRUN_WARM_SPAWN: 'off',
    ...extra,
  };
  const server = startPackrun(['api'], env);
  processes.push(server);
  await server.waitForOutput(/packrun api listening/);
  const api = await apiAt(env.PACKRUN_API_URL, home.home);
  const created = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user: 'runner-wf', role: 'runner' });
  const runner = startPackrun(['action-runner'], { ...env, PACKRUN_API_KEY: created.body.key });
  processes.push(runner);
  await runner.waitForOutput(/action runner \S+ consuming/);
  return { home, env, api, server };
}

type Api = Awaited<ReturnType<typeof apiAt>>;

async function finished(api: Api, id: string): Promise<St2Execution> {
  let record: St2Execution | undefined;
  await retryUntil(async () => {
    record = (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body;
    return isCompleted(record.status);
  }, { withinMs: 120_000, everyMs: 100, what: `workflow ${id} to end` });
  return record!;
}

async function children(api: Api, id: string): Promise<St2Execution[]> {
  return (await api.call<St2Execution[]>('GET', `/api/v1/executions/${id}/children`)).body;
}

/** wftest.wait_for_file ended succeeded, each of its two tasks started (running) once and succeeded. */
async function expectEachTaskRanOnce(api: Api, id: string): Promise<void> {
  expect((await finished(api, id)).status).toBe('succeeded');
  const tasks = await children(api, id);
  expect(tasks.map((task) => [task.action.ref, task.status, task.log.filter((change) => change.status === 'running').length])).toEqual([
    ['core.local', 'succeeded', 1],
    ['core.echo', 'succeeded', 1],
  ]);
}

describe('workflows in the distributed deployment', () => {
  it('packrun api on the embedded store steps the workflow; its tasks run on a separate action runner over RabbitMQ', async () => {
    const { api } = await deployment();
    const started = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'wftest.three_steps', parameters: { word: 'far' } });
    expect(started.status).toBe(201);
    const done = await finished(api, started.body.id);
    expect(done.status).toBe('succeeded');
    const tasks = await children(api, done.id);
    expect(tasks.map((task) => [task.result?.['stdout'], task.liveaction.runner_info.runner_id?.startsWith('api-') ?? false])).toEqual([
      ['1 far', false],
      ['2 1 far', false],
      ['3 2 1 far', false],
    ]);
  }, 180_000);

  it('packrun api, stepping the workflows on the embedded store, is SIGKILLed while a task runs on the action runner: started again, it finishes the workflow, every task once', async () => {
    const { env, api, server } = await deployment();
    const tempfile = path.join(scratch, 'api-killed-wait');
    writeFileSync(tempfile, '');
    const started = (await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'wftest.wait_for_file', parameters: { tempfile } })).body;
    await retryUntil(async () => (await children(api, started.id)).some((task) => task.status === 'running'), { withinMs: 60_000, what: 'the wait task running' });
    server.signal('SIGKILL');
    await server.exited;
    // The task ends while nothing steps the workflow: the runner holds its outcome until the API is back.
    rmSync(tempfile);
    const again = startPackrun(['api'], env);
    processes.push(again);
    await again.waitForOutput(/packrun api listening/);
    await expectEachTaskRanOnce(api, started.id);
  }, 240_000);

  it.skipIf(mongoUrl === undefined)('two workflow-engine processes on MongoDB: the one holding a workflow is SIGKILLed mid-way, the other finishes it, every task once', async () => {
    const { env, api } = await deployment({ PACKRUN_MONGODB_URL: mongoUrl! });
    const engines = ['a', 'b'].map(() => startPackrun(['workflow-engine'], env));
    processes.push(...engines);
    for (const engine of engines) await engine.waitForOutput(/workflow engine \S+ consuming/);
    const tempfile = path.join(scratch, 'distributed-wait');
    writeFileSync(tempfile, '');
    const started = (await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'wftest.wait_for_file', parameters: { tempfile } })).body;
    await retryUntil(async () => (await children(api, started.id)).some((task) => task.status === 'running'), { withinMs: 60_000, what: 'the wait task running' });
    const holder = (await api.call<St2Execution>('GET', `/api/v1/executions/${started.id}`)).body.liveaction.runner_info.runner_id!;
    const victim = engines.find((engine) => holder.includes(`-${engine.child.pid}-`))!;
    expect(victim).toBeDefined();
    victim.signal('SIGKILL');
    await victim.exited;
    rmSync(tempfile);
    await expectEachTaskRanOnce(api, started.id);
  }, 240_000);
});
