import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from './harness.ts';

// Results and output above PACKRUN_RESULT_INLINE_BYTES live beside the execution record: lists
// and GET /executions/{id} say how big they are and where to fetch them, the result and output
// routes stream them, and the CLI still shows them whole.

let stack: ServiceStack;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/security/fixtures/hostile_results'], listen: true });
  cliEnv = { ...stack.home.env, PACKRUN_API_URL: stack.api.url!, PACKRUN_API_KEY: stack.apiKey };
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

type Shown = St2Execution;

async function run(action: string, parameters: Record<string, unknown>): Promise<Shown> {
  const created = await stack.call('POST', '/api/v1/executions', { action, parameters });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json<St2Execution>().id;
  let record: Shown | undefined;
  await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<Shown>()).status), { withinMs: 60_000, what: `${action} done` });
  return record!;
}

describe('big results and output', () => {
  it('keeps a 1 MiB result out of the record and the lists, and serves it whole', async () => {
    const record = await run('hostile_results.big_result', { mib: 1 });
    expect(record.status).toBe('succeeded');
    expect(record.result).toBeUndefined();
    expect(record).toMatchObject({ result_omitted: true, result_url: `/api/v1/executions/${record.id}/result`, output_url: `/api/v1/executions/${record.id}/output` });
    expect(record.result_size).toBeGreaterThan(1024 * 1024);
    expect(record).not.toHaveProperty('resultBlobs');
    expect(record).not.toHaveProperty('result_blobs');

    const list = await stack.call('GET', '/api/v1/executions?action=hostile_results.big_result&limit=10');
    expect(list.body.length).toBeLessThan(16 * 1024);
    expect(list.json<Shown[]>()[0]).toMatchObject({ id: record.id, result_omitted: true, result_size: record.result_size });

    const whole = await stack.call('GET', record.result_url!);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toMatch(/^application\/json/);
    expect(whole.rawPayload.length).toBe(record.result_size);
    expect(whole.json<{ result: string; exit_code: number }>()).toMatchObject({ result: 'x'.repeat(1024 * 1024), exit_code: 0 });
  });

  it("streams 200 KiB of output from its blob, each stream alone or both as st2's output route gives them", async () => {
    const record = await run('core.local', { cmd: 'head -c 204800 /dev/zero | tr "\\0" o; echo; echo to-stderr >&2' });
    expect(record.status).toBe('succeeded');
    expect(record.output_size).toMatchObject({ stdout: 204_800 });
    const stdout = await stack.call('GET', `/api/v1/executions/${record.id}/output?output_type=stdout`);
    expect(stdout.headers['content-type']).toMatch(/^text\/plain/);
    expect(stdout.body).toBe('o'.repeat(204_800));
    const stderr = await stack.call('GET', `/api/v1/executions/${record.id}/output?output_type=stderr`);
    expect(stderr.body).toBe('to-stderr');
    const both = await stack.call('GET', `/api/v1/executions/${record.id}/output`);
    expect(both.body).toBe(`${'o'.repeat(204_800)}to-stderr`);
  });

  it('answers the result route of an execution without a result with EXECUTION_NO_RESULT', async () => {
    await stack.store.executions.insert({ id: 'queued-one', action: 'core.echo', pack: 'core', parameters: {}, status: 'requested', log: [], createdAt: new Date().toISOString(), context: {} });
    const response = await stack.call('GET', '/api/v1/executions/queued-one/result');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'EXECUTION_NO_RESULT' });
  });

  it('shows the whole result in `packrun execution get` and `packrun run`', async () => {
    const record = await run('hostile_results.big_result', { mib: 1 });
    const got = await runPackrunCli(['execution', 'get', record.id, '--json'], cliEnv);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: record.id, result: { result: 'x'.repeat(1024 * 1024) } });
    const ran = await runPackrunCli(['run', 'hostile_results.big_result', 'mib=1', '--json'], cliEnv);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'succeeded', result: { result: 'x'.repeat(1024 * 1024) } });
  });

  it('removes an execution with its blobs', async () => {
    const record = await run('hostile_results.big_result', { mib: 1 });
    const folder = path.join(stack.home.paths.store, 'blobs', record.id);
    expect(existsSync(folder)).toBe(true);
    expect(await stack.store.removeExecutions({ id: record.id })).toBe(1);
    expect(existsSync(folder)).toBe(false);
    expect((await stack.call('GET', `/api/v1/executions/${record.id}`)).statusCode).toBe(404);
  });
});
