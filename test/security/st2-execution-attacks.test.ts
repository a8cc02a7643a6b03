import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from '../api/harness.ts';

/**
 * What StackStorm's execution routes add (issue 15): `user` in a create or re-run body, the
 * include/exclude attribute selection, the old `actionexecutions` name, the stream's filters and
 * the output stream. Each attack is refused, or shows nothing it should not.
 */
let stack: ServiceStack;
const keys: Record<'operator' | 'observer' | 'runner', string> = { operator: '', observer: '', runner: '' };
const secret = 'st2-exec-s3cr3t';

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/api/fixtures/apitest'] });
  for (const role of ['operator', 'observer', 'runner'] as const) keys[role] = (await createApiKey(stack.store, { user: `${role}-user`, role })).key;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const as = (role: keyof typeof keys, method: string, url: string, body?: unknown) => stack.call(method, url, body, { 'x-api-key': keys[role] });

async function finished(id: string): Promise<St2Execution> {
  let execution: St2Execution | undefined;
  await retryUntil(async () => isCompleted((execution = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), { what: `${id} completed`, withinMs: 30_000 });
  return execution!;
}

describe("st2's execution routes under attack", () => {
  it('refuses `user` naming someone else to an operator, in a create and in a re-run, and runs nothing', async () => {
    const before = await stack.store.executions.count({});
    const create = await as('operator', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, user: 'tester' });
    expect(create.statusCode).toBe(403);
    expect(create.json()).toMatchObject({ code: 'API_ROLE_FORBIDDEN', details: { user: 'tester' } });
    const own = await as('operator', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, user: null });
    expect(own.statusCode).toBe(201);
    expect(own.json<St2Execution>().context['user']).toBe('operator-user');
    await finished(own.json<St2Execution>().id);
    const rerun = await as('operator', 'POST', `/api/v1/executions/${own.json<St2Execution>().id}/re_run`, { user: 'tester' });
    expect(rerun.statusCode).toBe(403);
    expect(await stack.store.executions.count({})).toBe(before + 1);
  });

  it("refuses an observer's create, cancel, re-run and pause under the old `actionexecutions` name too", async () => {
    const done = (await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' } })).json<St2Execution>();
    for (const [method, url, body] of [
      ['POST', '/api/v1/actionexecutions', { action: 'core.local', parameters: { cmd: 'true' } }],
      ['DELETE', `/api/v1/actionexecutions/${done.id}`, undefined],
      ['POST', `/v1/actionexecutions/${done.id}/re_run`, {}],
      ['PUT', `/api/actionexecutions/${done.id}`, { status: 'pausing' }],
    ] as const) {
      const response = await as('observer', method, url, body);
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it('a delay changes nothing of who may do what: an observer cannot start one, an operator cannot run it as another user, nor hold it past 7 days', async () => {
    const before = await stack.store.executions.count({});
    const observer = await as('observer', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, delay: 60_000 });
    expect(observer.statusCode).toBe(403);
    const asAnother = await as('operator', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, user: 'tester', delay: 60_000 });
    expect(asAnother.statusCode).toBe(403);
    const tooLong = await as('operator', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, delay: 7 * 24 * 3600 * 1000 + 1 });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json<{ message: string }>().message).toMatch(/delay/);
    expect(await stack.store.executions.count({})).toBe(before);
    // A delayed execution of the operator's own is canceled by an observer no more than a running one.
    const own = (await as('operator', 'POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'true' }, delay: 60_000 })).json<St2Execution>();
    expect(own.status).toBe('delayed');
    expect((await as('observer', 'DELETE', `/api/v1/executions/${own.id}`)).statusCode).toBe(403);
    expect((await as('operator', 'DELETE', `/api/v1/executions/${own.id}`)).json<St2Execution>().status).toBe('canceled');
  });

  it('never shows a secret parameter, however include_attributes or exclude_attributes ask', async () => {
    const created = await stack.call('POST', '/api/v1/executions', { action: 'apitest.secret_length', parameters: { token: secret, label: 'x' } });
    expect(created.statusCode).toBe(201);
    const id = created.json<St2Execution>().id;
    await finished(id);
    for (const query of ['include_attributes=parameters,liveaction', 'include_attributes=liveaction.parameters', 'exclude_attributes=result', '']) {
      for (const url of [`/api/v1/executions/${id}?${query}`, `/api/v1/executions?action=apitest.secret_length&${query}`]) {
        const response = await as('observer', 'GET', url);
        expect(response.statusCode, url).toBe(200);
        expect(response.body, url).not.toContain(secret);
        expect(response.body, url).not.toContain('pk1:');
      }
    }
    for (const field of ['secretParameters', 'secret_parameters', 'resultBlobs', 'parameterOrigin', '__proto__', 'constructor']) {
      const response = await as('observer', 'GET', `/api/v1/executions/${id}?include_attributes=${field}`);
      expect(response.statusCode, field).toBe(400);
      expect(response.json()).toMatchObject({ code: 'ATTRIBUTES_INVALID' });
      expect(response.body).not.toContain(secret);
    }
  });

  it("keeps a runner key off the whole stream, and off another runner's execution output stream", async () => {
    const stream = await as('runner', 'GET', '/stream/v1/stream?execution_ids=anything');
    expect(stream.statusCode).toBe(403);
    const done = (await stack.call('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo private' } })).json<St2Execution>();
    await finished(done.id);
    for (const url of [`/stream/v1/executions/${done.id}/output`, `/stream/executions/${done.id}/output`, `/api/v1/executions/${done.id}/output`]) {
      const response = await as('runner', 'GET', url);
      expect(response.statusCode, url).toBe(403);
      expect(response.body).not.toContain('private');
    }
  });
});
