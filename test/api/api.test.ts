import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import path from 'node:path';
import { repoRoot } from '../runner/fixtures.ts';
import { startStack, type ServiceStack } from './harness.ts';

const lateInstallPack = path.join(repoRoot, 'test/api/fixtures/lateinstall');

let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/api/fixtures/apitest'], env: { PACKRUN_RUNNER_CONCURRENCY: '2', PACKRUN_OUTPUT_CAP: '65536' } });
});

afterAll(async () => {
  await stack?.close();
});

async function create(action: string, parameters: Record<string, unknown>): Promise<St2Execution> {
  const response = await stack.call('POST', '/api/v1/executions', { action, parameters });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<St2Execution>();
}

async function get(id: string): Promise<St2Execution> {
  return (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>();
}

async function final(id: string, withinMs = 20_000): Promise<St2Execution> {
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = await get(id)).status), { withinMs, what: `execution ${id} completed` });
  return record!;
}

describe('API keys', () => {
  it('answers health without a key, and 401 on other routes without a valid one', async () => {
    const health = await stack.api.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(health.statusCode).toBe(200);
    const missing = await stack.api.app.inject({ method: 'GET', url: '/api/v1/executions' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ code: 'API_KEY_MISSING' });
    const wrong = await stack.api.app.inject({ method: 'GET', url: '/api/v1/executions', headers: { 'x-api-key': 'pk_not-a-key' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'API_KEY_INVALID' });
  });

  it("accepts StackStorm's St2-Api-Key header", async () => {
    const response = await stack.api.app.inject({ method: 'GET', url: '/api/v1/actions', headers: { 'st2-api-key': stack.apiKey } });
    expect(response.statusCode).toBe(200);
    expect(response.json<Array<{ ref: string }>>().map((action) => action.ref)).toContain('core.echo');
  });
});

describe('request validation', () => {
  it('names the missing or malformed field in a 400', async () => {
    const noAction = await stack.call('POST', '/api/v1/executions', { parameters: {} });
    expect(noAction.statusCode).toBe(400);
    expect(noAction.json()).toMatchObject({ code: 'REQUEST_INVALID', details: { field: 'body.action' } });
    expect(noAction.json<{ message: string }>().message).toContain('body.action');

    const badParameters = await stack.call('POST', '/api/v1/executions', { action: 'core.echo', parameters: 'message=hi' });
    expect(badParameters.statusCode).toBe(400);
    expect(badParameters.json<{ message: string }>().message).toContain('body.parameters');

    const badLimit = await stack.call('GET', '/api/v1/executions?limit=0');
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json<{ message: string }>().message).toContain('query.limit');

    const badSince = await stack.call('GET', '/api/v1/executions?timestamp_gt=yesterday');
    expect(badSince.statusCode).toBe(400);
    expect(badSince.json()).toMatchObject({ code: 'REQUEST_INVALID', details: { field: 'query.timestamp_gt' } });

    const unknownField = await stack.call('POST', '/api/v1/executions', { action: 'core.echo', parameters: {}, priority: 3 });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json<{ message: string }>().message).toContain('body.priority');
  });

  it("refuses a parameter that does not fit the action's schema before queueing, naming it", async () => {
    const before = Number((await stack.call('GET', '/api/v1/executions?limit=1')).headers['x-total-count']);
    const response = await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true', timeout: 'soon' } });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toContain('timeout');
    const after = Number((await stack.call('GET', '/api/v1/executions?limit=1')).headers['x-total-count']);
    expect(after).toBe(before);
  });

  it('answers 404 for an unknown action', async () => {
    const response = await stack.call('POST', '/api/v1/executions', { action: 'core.nope', parameters: {} });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ACTION_NOT_FOUND' });
  });
});

describe('executions', () => {
  it('creates an execution (201 + id) that reaches succeeded with its output', async () => {
    const created = await create('core.echo', { message: 'hello over the API' });
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    expect(['requested', 'scheduled', 'running']).toContain(created.status);
    const done = await final(created.id);
    expect(done.status).toBe('succeeded');
    expect(done.log.map((change) => change.status)).toEqual(['requested', 'scheduled', 'running', 'succeeded']);
    expect(done.liveaction.runner_info.runner_id).toBe(stack.runner.id);
    const output = await stack.call('GET', `/api/v1/executions/${created.id}/output`);
    expect(output.headers['content-type']).toMatch(/^text\/plain/);
    expect(output.body).toContain('hello over the API');
  });

  it('serves the output while it runs, and stores it capped with the result', async () => {
    const slow = await create('core.local', { cmd: 'echo early; sleep 3; echo late' });
    await retryUntil(async () => {
      const output = (await stack.call('GET', `/api/v1/executions/${slow.id}/output?output_type=stdout`)).body;
      return output.includes('early') && !output.includes('late') && (await get(slow.id)).status === 'running';
    }, { what: 'partial output while running' });
    const done = await final(slow.id);
    expect(String(done.result?.['stdout'])).toContain('late');

    const loud = await final((await create('core.local', { cmd: 'head -c 300000 /dev/zero | tr "\\0" x' })).id);
    expect(done.status).toBe('succeeded');
    expect(loud.truncated).toMatchObject({ stdout: true });
    const output = (await stack.call('GET', `/api/v1/executions/${loud.id}/output?output_type=stdout`)).body;
    expect(output.length).toBeLessThanOrEqual(65536);
    expect(output.length).toBeGreaterThan(1000);
  });

  it('lists newest first, filtered by action, status and time, paginated with a total header', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const echoes: string[] = [];
    for (const word of ['one', 'two', 'three']) echoes.push((await create('core.echo', { message: word })).id);
    const failing = await create('core.local', { cmd: 'exit 3' });
    for (const id of [...echoes, failing.id]) await final(id);

    const page1 = await stack.call('GET', `/api/v1/executions?action=core.echo&timestamp_gt=${encodeURIComponent(since)}&limit=2`);
    expect(page1.headers['x-total-count']).toBe('3');
    expect(page1.json<St2Execution[]>().map((record) => record.id)).toEqual([echoes[2], echoes[1]]);
    const page2 = await stack.call('GET', `/api/v1/executions?action=core.echo&timestamp_gt=${encodeURIComponent(since)}&limit=2&offset=2`);
    expect(page2.json<St2Execution[]>().map((record) => record.id)).toEqual([echoes[0]]);

    const failed = await stack.call('GET', `/api/v1/executions?status=failed&timestamp_gt=${encodeURIComponent(since)}`);
    expect(failed.json<St2Execution[]>().map((record) => record.id)).toEqual([failing.id]);

    const before = await stack.call('GET', `/api/v1/executions?timestamp_lt=${encodeURIComponent(since)}&action=core.echo&limit=1000`);
    expect(before.json<St2Execution[]>().map((record) => record.id)).not.toContain(echoes[0]);
  });

  it('cancels a running action: the process tree is killed and the execution ends canceled', async () => {
    const started = Date.now();
    const sleeper = await create('core.local', { cmd: 'sleep 30' });
    await retryUntil(async () => (await get(sleeper.id)).status === 'running', { what: 'sleep running' });
    const cancel = await stack.call('DELETE', `/api/v1/executions/${sleeper.id}`);
    expect(cancel.statusCode).toBe(200);
    expect(['canceling', 'canceled']).toContain(cancel.json<St2Execution>().status);
    const done = await final(sleeper.id);
    expect(done.status).toBe('canceled');
    expect(Date.now() - started).toBeLessThan(25_000);
    const again = await stack.call('DELETE', `/api/v1/executions/${sleeper.id}`);
    expect(again.statusCode).toBe(409);
  });

  it('cancels a queued execution at once, and no runner ever runs it', async () => {
    // Concurrency is 2: two sleepers hold the runner, the third waits in the queue.
    const holders = [await create('core.local', { cmd: 'sleep 30' }), await create('core.local', { cmd: 'sleep 30' })];
    await retryUntil(async () => (await Promise.all(holders.map((h) => get(h.id)))).every((r) => r.status === 'running'), { what: 'holders running' });
    const queued = await create('core.echo', { message: 'never' });
    expect((await get(queued.id)).status).toBe('scheduled');
    const cancel = await stack.call('DELETE', `/api/v1/executions/${queued.id}`);
    expect(cancel.json<St2Execution>().status).toBe('canceled');
    for (const holder of holders) await stack.call('DELETE', `/api/v1/executions/${holder.id}`);
    for (const holder of holders) expect((await final(holder.id)).status).toBe('canceled');
    const done = await get(queued.id);
    expect(done.status).toBe('canceled');
    expect(done.liveaction.runner_info).toEqual({});
  });

  it('re-runs an execution with the same input as a new execution pointing at the original', async () => {
    const original = await create('core.echo', { message: 'again' });
    await final(original.id);
    const response = await stack.call('POST', `/api/v1/executions/${original.id}/re_run`, {});
    expect(response.statusCode).toBe(201);
    const rerun = response.json<St2Execution>();
    expect(rerun.id).not.toBe(original.id);
    expect(rerun.context['re-run']).toEqual({ ref: original.id });
    const listed = await stack.call('GET', `/api/v1/executions?rerun_of=${original.id}`);
    expect(listed.json<St2Execution[]>().map((item) => item.id)).toEqual([rerun.id]);
    expect(rerun.parameters).toEqual({ message: 'again' });
    const done = await final(rerun.id);
    expect(done.status).toBe('succeeded');
    expect(String(done.result?.['stdout'])).toContain('again');
  });
});

describe('secrets', () => {
  it('masks secret parameters in responses and the store, while the action gets the real value', async () => {
    const created = await create('apitest.secret_length', { token: 's3cr3t-value', label: 'my token' });
    expect(created.parameters).toEqual({ token: '********', label: 'my token' });
    const done = await final(created.id);
    expect(done.status).toBe('succeeded');
    expect(String(done.result?.['stdout'])).toContain('my token has 12 characters');
    const stored = await stack.store.executions.get(created.id);
    expect(JSON.stringify(stored)).not.toContain('s3cr3t-value');
    const listed = await stack.call('GET', '/api/v1/executions?action=apitest.secret_length');
    expect(listed.body).not.toContain('s3cr3t-value');
  });

  it('keeps secret values sealed at rest: never shown, yet a re-run gets them back', async () => {
    const created = await create('apitest.secret_length', { token: 'abc' });
    expect(created).not.toHaveProperty('secretParameters');
    expect(created).not.toHaveProperty('secret_parameters');
    await final(created.id);
    const stored = await stack.store.executions.get(created.id);
    expect(stored?.secretParameters).toMatch(/^pk1:/);
    expect(stored?.secretParameters).not.toContain('abc');
    const again = await stack.call('POST', `/api/v1/executions/${created.id}/re_run`, {});
    expect(again.statusCode).toBe(201);
    expect(again.json<St2Execution>().parameters).toMatchObject({ token: '********' });
    expect(String((await final(again.json<St2Execution>().id)).result?.['stdout'])).toContain('has 3 characters');
    const overridden = await stack.call('POST', `/api/v1/executions/${created.id}/re_run`, { parameters: { token: 'abcd' } });
    expect(overridden.statusCode).toBe(201);
    expect(String((await final(overridden.json<St2Execution>().id)).result?.['stdout'])).toContain('has 4 characters');
  });

  it('masks secret datastore keys unless decrypt=true', async () => {
    const set = await stack.call('PUT', '/api/v1/keys/api_password', { value: 'hunter2', secret: true });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ name: 'api_password', value: '********', secret: true });
    expect((await stack.call('GET', '/api/v1/keys/api_password')).json()).toMatchObject({ value: '********' });
    expect((await stack.call('GET', '/api/v1/keys/api_password?decrypt=true')).json()).toMatchObject({ value: 'hunter2' });
    const listed = await stack.call('GET', '/api/v1/keys');
    expect(listed.body).not.toContain('hunter2');
    await stack.call('PUT', '/api/v1/keys/plain_key', { value: 'visible' });
    expect((await stack.call('GET', '/api/v1/keys?prefix=plain')).json()).toEqual([expect.objectContaining({ name: 'plain_key', value: 'visible' })]);
    expect((await stack.call('DELETE', '/api/v1/keys/plain_key')).statusCode).toBe(204);
    expect((await stack.call('GET', '/api/v1/keys/plain_key')).statusCode).toBe(404);
  });
});

describe('user-scoped keys', () => {
  it("belong to the API key's user unless another user is named", async () => {
    expect((await stack.call('PUT', '/api/v1/keys/theme', { value: 'dark', scope: 'user' })).json()).toMatchObject({ user: 'tester', scope: 'st2kv.user' });
    expect((await stack.call('GET', '/api/v1/keys/theme?scope=user')).json()).toMatchObject({ value: 'dark' });
    expect((await stack.call('GET', '/api/v1/keys/theme')).statusCode).toBe(404);
    expect((await stack.call('GET', '/api/v1/keys/theme?scope=user&user=someone')).statusCode).toBe(404);
    await stack.call('PUT', '/api/v1/keys/theme', { value: 'light', scope: 'user', user: 'someone' });
    expect((await stack.call('GET', '/api/v1/keys/theme?scope=user&user=someone')).json()).toMatchObject({ value: 'light', user: 'someone' });
    expect((await stack.call('GET', '/api/v1/keys/theme?scope=user')).json()).toMatchObject({ value: 'dark' });
  });
});

describe('packs', () => {
  it('installs a pack as a packs.install execution whose output is the progress, registers its actions, and removes it', async () => {
    const install = await stack.call('POST', '/api/v1/packs/install', { packs: [lateInstallPack] });
    expect(install.statusCode).toBe(202);
    const execution = { id: install.json<{ execution_id: string }>().execution_id };
    const done = await final(execution.id, 60_000);
    expect(done.action.ref).toBe('packs.install');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.result).toMatchObject({ output: { packs_list: ['lateinstall'], warning_list: [] }, installed: [{ ref: 'lateinstall', version: '1.2.3' }] });
    const output = (await stack.call('GET', `/api/v1/executions/${execution.id}/output?output_type=stdout`)).body;
    expect(output).toMatch(/lateinstall/);
    expect(output.split('\n').length).toBeGreaterThan(2);

    expect((await stack.call('GET', '/api/v1/packs/lateinstall')).json()).toMatchObject({ ref: 'lateinstall', version: '1.2.3' });
    const ran = await final((await create('lateinstall.hello', {})).id);
    expect(String(ran.result?.['stdout'])).toContain('hello from a late pack');

    const removal = await stack.call('POST', '/api/v1/packs/uninstall', { packs: ['lateinstall'] });
    expect(removal.statusCode).toBe(202);
    const removed = await final(removal.json<{ execution_id: string }>().execution_id);
    expect(removed).toMatchObject({ action: { ref: 'packs.uninstall' }, status: 'succeeded' });
    expect((await stack.call('GET', '/api/v1/actions/lateinstall.hello')).statusCode).toBe(404);
    expect((await stack.call('GET', '/api/v1/packs/lateinstall')).statusCode).toBe(404);
  });

  it('reports a failed install as a failed packs.install execution', async () => {
    const install = await stack.call('POST', '/api/v1/packs/install', { packs: ['/nonexistent/pack/folder'] });
    expect(install.statusCode).toBe(202);
    const done = await final(install.json<{ execution_id: string }>().execution_id);
    expect(done.status).toBe('failed');
    expect(done.error?.type).toMatch(/^PACK_/);
  });
});

describe('description and readiness', () => {
  it('serves an OpenAPI document generated from the route schemas', async () => {
    const response = await stack.api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/executions', '/api/v1/executions/{id}/re_run', '/api/v1/runnertypes', '/api/v1/keys/{name}']));
  });

  it('is ready when the store and bus are', async () => {
    const response = await stack.call('GET', '/api/v1/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', store: 'ok', bus: 'ok' });
  });
});
