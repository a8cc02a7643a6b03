import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from '../api/harness.ts';

// Results an action controls, sent through the wrapper or written as raw frames on the control
// channel past it (sandbox.md case 15). Before the bounds, a result frame nested 500,000 deep left
// its execution `running` for ever (JSON.stringify overflowed the stack when the result was
// stored), and a 60 MiB result was taken whole into the execution document.

let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/security/fixtures/hostile_results'], env: { PACKRUN_RUNNER_CONCURRENCY: '2' } });
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

async function run(action: string, parameters: Record<string, unknown>): Promise<St2Execution> {
  const created = await stack.call('POST', '/api/v1/executions', { action, parameters });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json<St2Execution>().id;
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), {
    withinMs: 60_000,
    what: `${action} completed`,
  });
  return record!;
}

describe('results an action controls', () => {
  it('a raw result frame nested 500,000 deep fails the execution, naming the depth limit', async () => {
    const record = await run('hostile_results.raw_frame', { depth: 500_000 });
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record.result)).toMatch(/PACKRUN_JSON_MAX_DEPTH|levels deep/);
  });

  it('a raw result frame of 60 MiB fails the execution, naming the size limit', async () => {
    const record = await run('hostile_results.raw_frame', { size: 60 * 1024 * 1024 });
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record.result)).toMatch(/PACKRUN_RESULT_MAX_BYTES/);
  });

  it('a 60 MiB result through the wrapper fails the execution, naming the size limit', async () => {
    const record = await run('hostile_results.big_result', { mib: 60 });
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record.result)).toMatch(/PACKRUN_RESULT_MAX_BYTES/);
  });

  it('a result nested 500 lists deep through the wrapper fails the execution, naming the depth limit', async () => {
    const record = await run('hostile_results.big_result', { depth: 500 });
    expect(record.status).toBe('failed');
    expect(JSON.stringify(record.result)).toMatch(/PACKRUN_JSON_MAX_DEPTH/);
  });

  it('a result of 2 MiB is kept whole', async () => {
    const record = await run('hostile_results.big_result', { mib: 2 });
    expect(record.status).toBe('succeeded');
  });
});
