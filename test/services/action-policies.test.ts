import { rm } from 'node:fs/promises';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPack } from '@packrun/pack-installer';
import { queueNames, type St2Execution } from '@packrun/core';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { writePack } from '../sensors/sensor-fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

/**
 * StackStorm's action policies in the distributed shape: `packrun api` owns the store and two
 * `packrun action-runner` processes take requests from RabbitMQ, so a concurrency limit has to
 * hold across processes (it is kept in the store, never in a runner's memory).
 */
const rabbitUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `packrun-test-policies-${process.pid}-${Date.now().toString(36)}`;
const processes: PackrunProcess[] = [];
const lines = (...text: string[]) => `${text.join('\n')}\n`;
let home: PackrunHome;
let packDir: string;
let api: Awaited<ReturnType<typeof apiAt>>;
let cliEnv: Record<string, string>;
const runnerIds: string[] = [];

const shellAction = (name: string, script: string, extra: string[] = []): Record<string, string> => ({
  [`actions/${name}.yaml`]: lines(`name: ${name}`, 'runner_type: local-shell-script', `entry_point: ${name}.sh`, 'parameters:', '  tag: {type: string, default: any}', ...extra),
  [`actions/${name}.sh`]: lines('#!/bin/sh', script),
});

const policy = (name: string, resource: string, type: string, parameters: string): Record<string, string> => ({
  [`policies/${name}.yaml`]: lines(`name: ${name}`, `resource_ref: policed.${resource}`, `policy_type: ${type}`, `parameters: ${parameters}`),
});

const policedPack: Record<string, string> = {
  'pack.yaml': lines('ref: policed', 'name: policed', 'description: action policy tests', 'version: 1.0.0', 'author: tests'),
  ...shellAction('slow', 'sleep 0.4; echo done'),
  ...policy('slow_limit', 'slow', 'action.concurrency', '{threshold: 2, action: delay}'),
  ...shellAction('exclusive', 'sleep 2; echo done'),
  ...policy('exclusive_limit', 'exclusive', 'action.concurrency', '{threshold: 1, action: cancel}'),
  ...shellAction('per_tag', 'sleep 1; echo done'),
  ...policy('per_tag_limit', 'per_tag', 'action.concurrency.attr', '{threshold: 1, attributes: [tag]}'),
  ...shellAction('flaky', 'echo failing; exit 1'),
  ...policy('flaky_retry', 'flaky', 'action.retry', '{retry_on: failure, max_retry_count: 2, delay: 0.5}'),
  ...shellAction('sleepy', 'sleep 5', ['  timeout: {default: 1}']),
  ...policy('sleepy_retry', 'sleepy', 'action.retry', '{retry_on: timeout, max_retry_count: 1}'),
  'actions/shaped.yaml': lines(
    'name: shaped',
    'runner_type: python-script',
    'entry_point: shaped.py',
    'parameters:',
    '  value: {type: string}',
    'output_schema:',
    '  type: object',
    '  properties:',
    '    count: {type: integer}',
    '    token: {type: string, secret: true}',
    '  required: [count]',
  ),
  'actions/shaped.py': lines(
    'from st2common.runners.base_action import Action',
    '',
    'class Shaped(Action):',
    '    def run(self, value):',
    '        try:',
    '            count = int(value)',
    '        except ValueError:',
    '            count = value',
    "        return {'count': count, 'token': 'out-SECRET-77'}",
  ),
};

beforeAll(async () => {
  home = await homeWithPacks(['core']);
  packDir = await writePack(policedPack);
  await installPack([packDir], { config: home.config });
  const port = await freePort();
  const env = {
    ...home.env,
    PACKRUN_RABBITMQ_URL: rabbitUrl,
    PACKRUN_RABBITMQ_PREFIX: prefix,
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_RUNNER_HEARTBEAT: '1',
    PACKRUN_LOG_LEVEL: 'warn',
    // Guest on the machine's broker is accepted only where no job can reach it (see distributed-runners.test.ts).
    PACKRUN_WARM_SPAWN: 'off',
  };
  const server = startPackrun(['api'], env);
  processes.push(server);
  await server.waitForOutput(/packrun api listening/);
  api = await apiAt(env.PACKRUN_API_URL, home.home);
  cliEnv = { PACKRUN_HOME: home.home, PACKRUN_API_URL: env.PACKRUN_API_URL };
  for (const name of ['policy-runner-a', 'policy-runner-b']) {
    const created = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user: name, role: 'runner' });
    expect(created.status).toBe(201);
    const runner = startPackrun(['action-runner'], { ...env, PACKRUN_API_KEY: created.body.key, PACKRUN_RUNNER_CONCURRENCY: '4' });
    processes.push(runner);
    await runner.waitForOutput(/action runner \S+ consuming/);
    runnerIds.push(/action runner (\S+) consuming/.exec(runner.output())![1]!);
  }
}, 180_000);

afterAll(async () => {
  for (const process of processes) process.signal('SIGTERM');
  await Promise.all(processes.map((process) => process.exited));
  const connection = await amqp.connect(rabbitUrl);
  const channel = await connection.createChannel();
  for (const queue of queueNames) await channel.deleteQueue(`${prefix}.${queue}`);
  await channel.deleteExchange(`${prefix}.events`);
  await connection.close();
  if (packDir) await rm(packDir, { recursive: true, force: true });
});

const final = ['succeeded', 'failed', 'timeout', 'canceled', 'abandoned'];

async function create(action: string, parameters: Record<string, unknown> = {}): Promise<string> {
  const response = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id;
}

async function get(id: string): Promise<St2Execution> {
  return (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body;
}

async function allFinal(ids: string[], withinMs = 60_000): Promise<St2Execution[]> {
  let records: St2Execution[] = [];
  await retryUntil(async () => {
    records = await Promise.all(ids.map(get));
    return records.every((record) => final.includes(record.status));
  }, { withinMs, everyMs: 200, what: `${ids.length} executions final` });
  return records;
}

/** The most executions running at one moment, from when their log says they started running and their end. */
function peakRunning(records: St2Execution[]): number {
  const edges = records.flatMap((record) => [
    { at: Date.parse(record.log.find((change) => change.status === 'running')!.timestamp), change: 1 },
    { at: Date.parse(record.end_timestamp!), change: -1 },
  ]);
  // An end at the same millisecond as a start comes first: the place was given back before it was taken.
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let running = 0;
  let peak = 0;
  for (const edge of edges) {
    running += edge.change;
    peak = Math.max(peak, running);
  }
  return peak;
}

describe('action policies across two action-runner processes', () => {
  it('lists the policies the pack registered at install, parameters with their defaults', async () => {
    const listed = await api.call<Array<{ ref: string; policyType: string; parameters: Record<string, unknown> }>>('GET', '/api/v1/policies?pack=policed');
    expect(listed.body.map((policy) => policy.ref)).toEqual([
      'policed.exclusive_limit', 'policed.flaky_retry', 'policed.per_tag_limit', 'policed.sleepy_retry', 'policed.slow_limit',
    ]);
    expect((await api.call('GET', '/api/v1/policies/policed.sleepy_retry')).body).toMatchObject({
      resourceRef: 'policed.sleepy', policyType: 'action.retry', parameters: { retry_on: 'timeout', max_retry_count: 1, delay: 0 }, enabled: true,
    });
    expect((await api.call('GET', '/api/v1/policies/policed.none')).status).toBe(404);
  });

  it('action.concurrency threshold 2, delay: 20 simultaneous requests never run more than 2 at once, and all succeed', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => create('policed.slow')));
    const records = await allFinal(ids, 120_000);
    expect(records.map((record) => record.status)).toEqual(Array(20).fill('succeeded'));
    expect(peakRunning(records)).toBeLessThanOrEqual(2);
    expect(peakRunning(records)).toBe(2);
    // Those over the threshold waited as `delayed`, then ran.
    const delayed = records.filter((record) => record.log.some((change) => change.status === 'delayed'));
    expect(delayed.length).toBeGreaterThanOrEqual(10);
    expect(delayed[0]!.log.find((change) => change.status === 'delayed')!.reason).toContain('policy policed.slow_limit');
    // Both runners ran some: the limit held across processes, not within one.
    expect(new Set(records.map((record) => record.liveaction.runner_info.runner_id))).toEqual(new Set(runnerIds));
  }, 150_000);

  it('action.concurrency threshold 1, cancel: requests over the threshold end canceled', async () => {
    const ids = await Promise.all(Array.from({ length: 4 }, () => create('policed.exclusive')));
    const records = await allFinal(ids);
    const byStatus = (status: string) => records.filter((record) => record.status === status);
    expect(byStatus('succeeded').length).toBeGreaterThanOrEqual(1);
    expect(byStatus('canceled').length).toBeGreaterThanOrEqual(1);
    expect(byStatus('succeeded').length + byStatus('canceled').length).toBe(4);
    expect(peakRunning(byStatus('succeeded'))).toBe(1);
    expect(byStatus('canceled')[0]!.log.at(-1)).toMatchObject({ status: 'canceled', by: 'policy', reason: expect.stringContaining('policed.exclusive_limit') });
    // The CLI says which policy ended it.
    const shown = await runPackrunCli(['execution', 'get', byStatus('canceled')[0]!.id], cliEnv);
    expect(shown.stdout).toContain('status: canceled (policy policed.exclusive_limit: 1 execution(s) of policed.exclusive already running)');
  }, 90_000);

  it('action.concurrency.attr: one at a time per tag value, different tags side by side', async () => {
    const ids = await Promise.all(['red', 'red', 'red', 'blue', 'blue', 'blue'].map((tag) => create('policed.per_tag', { tag })));
    const records = await allFinal(ids);
    expect(records.every((record) => record.status === 'succeeded')).toBe(true);
    const red = records.filter((record) => record.parameters['tag'] === 'red');
    const blue = records.filter((record) => record.parameters['tag'] === 'blue');
    expect(peakRunning(red)).toBe(1);
    expect(peakRunning(blue)).toBe(1);
    expect(peakRunning(records)).toBe(2);
  }, 90_000);

  it('action.retry on failure: retried max_retry_count times after the delay, with context.policies.retry as st2 records it', async () => {
    const first = await create('policed.flaky');
    let chain: St2Execution[] = [];
    await retryUntil(async () => {
      const all = (await api.call<St2Execution[]>('GET', '/api/v1/executions?action=policed.flaky&limit=100')).body;
      chain = all.sort((a, b) => a.start_timestamp.localeCompare(b.start_timestamp));
      return chain.length >= 3 && chain.every((record) => final.includes(record.status));
    }, { withinMs: 30_000, what: 'the original and two retries' });
    // No third retry comes.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    chain = (await api.call<St2Execution[]>('GET', '/api/v1/executions?action=policed.flaky&limit=100')).body.sort((a, b) => a.start_timestamp.localeCompare(b.start_timestamp));
    expect(chain).toHaveLength(3);
    expect(chain.map((record) => record.status)).toEqual(['failed', 'failed', 'failed']);
    expect(chain[0]!.id).toBe(first);
    expect(chain[0]!.context['policies']).toBeUndefined();
    expect(chain[1]!.context['policies']).toEqual({ retry: { applied_policy: 'policed.flaky_retry', retry_count: 1, retried_liveaction_id: chain[0]!.id } });
    expect(chain[2]!.context['policies']).toEqual({ retry: { applied_policy: 'policed.flaky_retry', retry_count: 2, retried_liveaction_id: chain[1]!.id } });
    // The retry is requested when the execution ends and waits `delayed` for the delay (0.5 s), kept in the store.
    expect(chain[1]!.delay).toBe(500);
    expect(chain[1]!.log.map((change) => change.status).slice(0, 3)).toEqual(['requested', 'delayed', 'requested']);
    // Released (requested again) once the delay passed; a runner may take it before it is marked scheduled.
    const released = chain[1]!.log[2]!;
    expect(Date.parse(released.timestamp) - Date.parse(chain[0]!.end_timestamp!)).toBeGreaterThanOrEqual(450);
  }, 60_000);

  it('action.retry on timeout retries a timed-out execution once', async () => {
    await create('policed.sleepy');
    let chain: St2Execution[] = [];
    await retryUntil(async () => {
      chain = (await api.call<St2Execution[]>('GET', '/api/v1/executions?action=policed.sleepy&limit=100')).body;
      return chain.length >= 2 && chain.every((record) => final.includes(record.status));
    }, { withinMs: 30_000, what: 'the timed-out execution and its retry' });
    expect(chain.map((record) => record.status)).toEqual(['timeout', 'timeout']);
    expect(chain.find((record) => record.context['policies'] !== undefined)!.context['policies']).toMatchObject({ retry: { retry_count: 1 } });
  }, 60_000);

  it('output_schema: a conforming result succeeds with its secret field masked; a breaking one fails naming the schema path', async () => {
    const [good, bad] = await allFinal([await create('policed.shaped', { value: '3' }), await create('policed.shaped', { value: 'three' })], 90_000);
    expect(good!.status, JSON.stringify(good!.result)).toBe('succeeded');
    expect(good!.result?.['result']).toEqual({ count: 3, token: '********' });
    expect(JSON.stringify(good)).not.toContain('out-SECRET-77');
    expect(bad!.status).toBe('failed');
    expect(bad!.result).toMatchObject({ message: 'Error validating output. See error output for more details.' });
    expect(bad!.result?.['error']).toContain('result.count must be integer (schema path #/properties/count/type)');
    expect(JSON.stringify(bad)).not.toContain('out-SECRET-77');
  }, 120_000);
});
