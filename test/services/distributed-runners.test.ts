import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueNames, type St2Execution } from '@packrun/core';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

/**
 * The distributed deployment without MongoDB: `packrun api` owns the store (embedded, one
 * process) and is the execution authority; `packrun action-runner` processes take requests from
 * RabbitMQ (the machine's broker) and report every transition through the API with their own key.
 */
const rabbitUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `packrun-test-dist-${process.pid}-${Date.now().toString(36)}`;
const processes: PackrunProcess[] = [];
let home: PackrunHome;
let env: Record<string, string>;
let api: Awaited<ReturnType<typeof apiAt>>;

beforeAll(async () => {
  home = await homeWithPacks(['core', 'examples']);
  const port = await freePort();
  env = {
    ...home.env,
    PACKRUN_RABBITMQ_URL: rabbitUrl,
    PACKRUN_RABBITMQ_PREFIX: prefix,
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_RUNNER_HEARTBEAT: '1',
    PACKRUN_LOG_LEVEL: 'warn',
  };
  const server = startPackrun(['api'], env);
  processes.push(server);
  await server.waitForOutput(/packrun api listening/);
  api = await apiAt(env['PACKRUN_API_URL']!, home.home);
});

afterAll(async () => {
  for (const process of processes) process.signal('SIGTERM');
  await Promise.all(processes.map((process) => process.exited));
  const connection = await amqp.connect(rabbitUrl);
  const channel = await connection.createChannel();
  for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
  await channel.deleteExchange(`${prefix}.events`);
  await connection.close();
});

async function startRunner(name: string): Promise<{ process: PackrunProcess; id: string }> {
  const created = await api.call<{ key: string; id: string }>('POST', '/api/v1/apikeys', { user: name, role: 'runner', metadata: { description: 'test runner' } });
  expect(created.status).toBe(201);
  const runner = startPackrun(['action-runner'], { ...env, PACKRUN_API_KEY: created.body.key, PACKRUN_RUNNER_CONCURRENCY: '4' });
  processes.push(runner);
  await runner.waitForOutput(/action runner \S+ consuming/);
  const id = /action runner (\S+) consuming/.exec(runner.output())![1]!;
  // The API accepts reports from a runner key only under runner ids bound to that key.
  expect(id.startsWith(`${created.body.id}.`)).toBe(true);
  return { process: runner, id };
}

async function allExecutions(): Promise<St2Execution[]> {
  return (await api.call<St2Execution[]>('GET', '/api/v1/executions?limit=1000')).body;
}

describe('two action-runner processes on RabbitMQ', () => {
  it('share 200 queued executions; after one is SIGKILLed mid-run every execution still reaches a final state', async () => {
    const a = await startRunner('runner-a');
    const b = await startRunner('runner-b');
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'sleep 0.2' } });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }

    // Kill runner A while it holds executions and plenty are still queued.
    await retryUntil(async () => {
      const records = await allExecutions();
      return records.filter((r) => r.status === 'succeeded').length >= 30 && records.some((r) => r.status === 'running' && r.liveaction.runner_info.runner_id === a.id);
    }, { withinMs: 60_000, everyMs: 50, what: 'runner A mid-run' });
    a.process.signal('SIGKILL');
    await a.process.exited;

    await retryUntil(async () => (await allExecutions()).every((r) => ['succeeded', 'failed', 'timeout', 'canceled', 'abandoned'].includes(r.status)), {
      withinMs: 120_000,
      everyMs: 250,
      what: 'all 200 executions final',
    });
    const records = await allExecutions();
    expect(records).toHaveLength(200);
    expect(new Set(records.map((r) => r.id))).toEqual(new Set(ids));
    const byStatus = (status: string) => records.filter((r) => r.status === status);
    const abandoned = byStatus('abandoned');
    // Only what A was running when it died is lost; what it had prefetched but not started ran on B.
    expect(abandoned.length).toBeGreaterThanOrEqual(1);
    expect(abandoned.length).toBeLessThanOrEqual(4);
    for (const record of abandoned) {
      expect(record.liveaction.runner_info.runner_id).toBe(a.id);
      expect(record.error?.type).toBe('EXECUTION_ABANDONED');
    }
    expect(byStatus('succeeded').length).toBe(200 - abandoned.length);
    const ranOn = (runner: string) => records.filter((r) => r.liveaction.runner_info.runner_id === runner).length;
    expect(ranOn(a.id)).toBeGreaterThan(0);
    expect(ranOn(b.id)).toBeGreaterThan(ranOn(a.id) - abandoned.length);
  }, 300_000);

  it('cancels a running action on a runner process, and actions reach the datastore through the API', async () => {
    await startRunner('runner-c');
    const create = async (action: string, parameters: Record<string, unknown>) => {
      const response = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
      expect(response.status).toBe(201);
      return response.body.id;
    };
    const get = async (id: string) => (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body;

    const sleeper = await create('core.local', { cmd: 'sleep 60' });
    await retryUntil(async () => (await get(sleeper)).status === 'running', { withinMs: 30_000, what: 'sleeper running' });
    expect((await api.call('DELETE', `/api/v1/executions/${sleeper}`)).status).toBe(200);
    await retryUntil(async () => (await get(sleeper)).status === 'canceled', { withinMs: 20_000, what: 'sleeper canceled' });

    for (const expected of [1, 2]) {
      const id = await create('examples.counter', { key: 'visits' });
      await retryUntil(async () => ['succeeded', 'failed'].includes((await get(id)).status), { withinMs: 60_000, what: 'counter done' });
      const record = await get(id);
      expect(record.status, JSON.stringify(record.result)).toBe('succeeded');
      expect(record.result?.['result']).toMatchObject({ key: 'visits', count: expected });
    }
    const keys = await api.call<Array<{ name: string; value: string }>>('GET', '/api/v1/keys');
    expect(keys.body).toEqual(expect.arrayContaining([expect.objectContaining({ value: '2' })]));
  }, 180_000);

  it("runs core's runners that start no job: inject_trigger through the API's runner route, announcement over RabbitMQ to the API's stream", async () => {
    await startRunner('runner-d');
    const run = async (action: string, parameters: Record<string, unknown>) => {
      const response = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
      expect(response.status).toBe(201);
      let record: St2Execution | undefined;
      await retryUntil(async () => {
        record = (await api.call<St2Execution>('GET', `/api/v1/executions/${response.body.id}`)).body;
        return ['succeeded', 'failed'].includes(record.status);
      }, { withinMs: 60_000, what: `${action} done` });
      return record!;
    };
    const injected = await run('core.inject_trigger', { trigger_name: 'core.st2.webhook', payload: { headers: {}, body: { from: 'runner-d' } } });
    expect(injected).toMatchObject({ status: 'succeeded', result: { result: { trigger: 'core.st2.webhook', trigger_instance: expect.any(String) } } });
    const refused = await run('core.inject_trigger', { trigger_name: 'nobody.nothing' });
    // The API's refusal reaches the execution with its own code, as under packrun up.
    expect(refused).toMatchObject({ status: 'failed', error: { type: 'TRIGGER_NOT_FOUND' } });

    const stream = await fetch(`${env['PACKRUN_API_URL']}/api/v1/stream`, { headers: { 'x-api-key': api.key } });
    const reader = stream.body!.getReader();
    let text = '';
    const heard = (async () => {
      while (!text.includes('event: st2.announcement__chatops')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    const announced = await run('core.announcement', { message: { text: 'deploy done' }, route: 'chatops' });
    expect(announced).toMatchObject({ status: 'succeeded', result: { output: { message: { text: 'deploy done' } } } });
    await Promise.race([heard, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await reader.cancel();
    expect(text).toContain('event: st2.announcement__chatops\ndata: {"message":{"text":"deploy done"}}');
  }, 180_000);
});
