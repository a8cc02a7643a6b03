import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, type ExecutionRecord, type ExecutionStatus } from '@packrun/core';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from './harness.ts';

// Retention in the API process: the background job applies PACKRUN_RETENTION_*, and
// POST /api/v1/executions/purge removes what an admin names, never an unfinished execution.

let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({
    packs: ['core'],
    listen: true,
    env: { PACKRUN_RETENTION_INTERVAL: '0.2', PACKRUN_RETENTION_EXECUTIONS_COUNT: '3', PACKRUN_RETENTION_TRIGGER_INSTANCES_DAYS: '1' },
  });
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

async function stored(status: ExecutionStatus, createdAt: string, action = 'core.local'): Promise<ExecutionRecord> {
  const record: ExecutionRecord = { id: newId(), action, pack: 'core', parameters: {}, status, log: [], createdAt, context: {} };
  await stack.store.executions.insert(record);
  return record;
}

const daysAgo = (days: number): string => new Date(Date.now() - days * 24 * 60 * 60 * 1000).toISOString();

describe('retention', () => {
  it('the background job keeps the newest completed executions and drops old trigger instances, sparing running ones', async () => {
    const running = await stored('running', daysAgo(50));
    const completed: ExecutionRecord[] = [];
    for (let day = 10; day > 4; day -= 1) completed.push(await stored('succeeded', daysAgo(day)));
    await stack.store.triggerInstances.insert({ id: newId(), trigger: 'core.st2.webhook', payload: {}, occurredAt: daysAgo(2), status: 'processed' });
    await retryUntil(async () => (await stack.store.executions.count({ status: 'succeeded' })) === 3 && (await stack.store.triggerInstances.count({})) === 0, {
      withinMs: 10_000,
      what: 'the retention job to run',
    });
    expect(await stack.store.executions.get(running.id)).toBeDefined();
    const kept = await stack.store.executions.find({ status: 'succeeded' }, { sort: { createdAt: -1 } });
    expect(kept.map((record) => record.id)).toEqual(completed.slice(3).reverse().map((record) => record.id));
    await stack.store.removeExecutions({});
  });

  it('purges by timestamp, age, action and status, and answers how many', async () => {
    const old = await stored('failed', daysAgo(20), 'core.noop');
    const oldLocal = await stored('succeeded', daysAgo(20));
    const recent = await stored('succeeded', daysAgo(1));
    const queued = await stored('scheduled', daysAgo(20));

    const byAction = await stack.call('POST', '/api/v1/executions/purge', { older_than_days: 10, action: 'core.noop' });
    expect(byAction.statusCode, byAction.body).toBe(200);
    expect(byAction.json()).toMatchObject({ removed: 1 });
    expect(await stack.store.executions.get(old.id)).toBeUndefined();

    const before = daysAgo(2);
    const byTime = await stack.call('POST', '/api/v1/executions/purge', { timestamp: before });
    expect(byTime.json()).toEqual({ removed: 1, before });
    expect(await stack.store.executions.get(oldLocal.id)).toBeUndefined();
    expect(await stack.store.executions.get(recent.id)).toBeDefined();
    expect(await stack.store.executions.get(queued.id)).toBeDefined();
  });

  it('refuses a purge without a time, with both, or of an unfinished status, naming the field', async () => {
    for (const body of [{}, { action: 'core.local' }, { timestamp: daysAgo(1), older_than_days: 1 }, { older_than_days: 0 }, { older_than_days: 1e20 }, { older_than_days: 1, status: 'running' }, { timestamp: 'yesterday' }]) {
      const response = await stack.call('POST', '/api/v1/executions/purge', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json<{ code: string }>().code).toBe('REQUEST_INVALID');
    }
  });

  it('packrun execution purge asks the server, and names a bad flag', async () => {
    const cliEnv = { ...stack.home.env, PACKRUN_API_URL: stack.api.url!, PACKRUN_API_KEY: stack.apiKey };
    const failed = await stored('failed', daysAgo(20));
    const succeeded = await stored('succeeded', daysAgo(20));
    const purged = await runPackrunCli(['execution', 'purge', '--older-than', '10', '--status', 'failed', '--json'], cliEnv);
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toMatchObject({ removed: 1 });
    expect(await stack.store.executions.get(failed.id)).toBeUndefined();
    expect(await stack.store.executions.get(succeeded.id)).toBeDefined();

    for (const args of [[], ['--older-than', 'soon'], ['--older-than', '1', '--timestamp', daysAgo(1)], ['--older-than', '1', '--status', 'running']]) {
      const refused = await runPackrunCli(['execution', 'purge', ...args], cliEnv);
      expect(refused.code, args.join(' ')).not.toBe(0);
      expect(refused.stderr, args.join(' ')).toMatch(/CLI_PARAMETERS_INVALID.*(--older-than|--timestamp|--status)/s);
    }
    expect(await stack.store.executions.get(succeeded.id)).toBeDefined();
  }, 60_000);
});
