import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@packrun/api';
import type { ExecutionRecord } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';

/**
 * Inquiries (issue 13): core.ask runs the inquirer runner, whose execution waits `pending` until a
 * response that validates against its schema arrives through the API from someone it names, or
 * its ttl runs out. The whole embedded deployment runs it: API, action runner, store.
 */
let deployment: EmbeddedDeployment;
const keys: Record<'alice' | 'bob' | 'watcher', string> = { alice: '', bob: '', watcher: '' };

const approval = {
  type: 'object',
  properties: {
    approved: { type: 'boolean', required: true },
    note: { type: 'string', maxLength: 100 },
  },
  additionalProperties: false,
};

beforeAll(async () => {
  deployment = await startEmbeddedDeployment({ name: 'inquiries', packDirs: [] });
  keys.alice = (await createApiKey(deployment.store, { user: 'alice', role: 'operator' })).key;
  keys.bob = (await createApiKey(deployment.store, { user: 'bob', role: 'operator' })).key;
  keys.watcher = (await createApiKey(deployment.store, { user: 'watcher', role: 'observer' })).key;
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

function as(user: keyof typeof keys, method: string, url: string, body?: unknown) {
  return deployment.call(method, url, body, { 'x-api-key': keys[user] });
}

async function ask(parameters: Record<string, unknown>): Promise<ExecutionRecord> {
  const created = await deployment.call('POST', '/api/v1/executions', { action: 'core.ask', parameters });
  expect(created.statusCode, created.body).toBe(201);
  const id = (created.json() as ExecutionRecord).id;
  let record: ExecutionRecord | undefined;
  await retryUntil(async () => {
    record = await deployment.store.executions.get(id);
    return record?.status === 'pending';
  }, { what: `inquiry ${id} pending` });
  return record!;
}

describe('inquiries', () => {
  it('wait pending, are listed with their schema, and only someone they name may answer', async () => {
    const inquiry = await ask({ schema: approval, users: ['alice'], route: 'approvals', ttl: 30 });
    expect(inquiry.endedAt).toBeUndefined();
    const listed = await as('watcher', 'GET', '/api/v1/inquiries');
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toContainEqual({ id: inquiry.id, route: 'approvals', ttl: 30, users: ['alice'], roles: [], schema: approval });

    const observer = await as('watcher', 'PUT', `/api/v1/inquiries/${inquiry.id}`, { response: { approved: true } });
    expect(observer.statusCode).toBe(403);
    const bob = await as('bob', 'PUT', `/api/v1/inquiries/${inquiry.id}`, { response: { approved: true } });
    expect(bob.statusCode).toBe(403);
    expect(bob.json()).toMatchObject({ code: 'INQUIRY_FORBIDDEN' });

    const invalid = await as('alice', 'PUT', `/api/v1/inquiries/${inquiry.id}`, { response: { approved: 'yes' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'INQUIRY_RESPONSE_INVALID' });
    expect(invalid.json().message).toMatch(/approved/);
    const extra = await as('alice', 'PUT', `/api/v1/inquiries/${inquiry.id}`, { response: { approved: true, sneaky: 1 } });
    expect(extra.statusCode).toBe(400);

    const answered = await as('alice', 'PUT', `/api/v1/inquiries/${inquiry.id}`, { id: inquiry.id, response: { approved: true, note: 'ship it' } });
    expect(answered.statusCode, answered.body).toBe(200);
    expect(answered.json()).toEqual({ id: inquiry.id, response: { approved: true, note: 'ship it' } });
    const done = await deployment.store.executions.get(inquiry.id);
    expect(done).toMatchObject({ status: 'succeeded', result: { schema: approval, users: ['alice'], roles: [], route: 'approvals', ttl: 30, response: { approved: true, note: 'ship it' } } });
    expect(done?.log.at(-1)).toMatchObject({ status: 'succeeded', by: 'alice' });

    // Answered once: it is no longer an inquiry.
    expect((await as('alice', 'PUT', `/api/v1/inquiries/${inquiry.id}`, { response: { approved: false } })).statusCode).toBe(404);
    expect((await as('watcher', 'GET', `/api/v1/inquiries/${inquiry.id}`)).statusCode).toBe(404);
  });

  it('name roles too, and with neither users nor roles take anyone who may respond', async () => {
    const byRole = await ask({ schema: approval, roles: ['admin'] });
    expect((await as('alice', 'PUT', `/api/v1/inquiries/${byRole.id}`, { response: { approved: true } })).statusCode).toBe(403);
    expect((await deployment.call('PUT', `/api/v1/inquiries/${byRole.id}`, { response: { approved: true } })).statusCode).toBe(200);
    const open = await ask({});
    // StackStorm's default schema: {continue: boolean, required}.
    expect((await as('bob', 'PUT', `/api/v1/inquiries/${open.id}`, { response: {} })).statusCode).toBe(400);
    expect((await as('bob', 'PUT', `/api/v1/inquiries/${open.id}`, { response: { continue: true } })).statusCode).toBe(200);
  });

  it('time out once their ttl has run out, and can be canceled while they wait', async () => {
    const short = await ask({ ttl: 1 });
    const long = await ask({ ttl: 0 });
    expect(await deployment.api.inquiries.expire(Date.now() + 30_000)).toBe(0);
    expect(await deployment.api.inquiries.expire(Date.now() + 61_000)).toBeGreaterThanOrEqual(1);
    expect(await deployment.store.executions.get(short.id)).toMatchObject({ status: 'timeout' });
    expect((await deployment.call('PUT', `/api/v1/inquiries/${short.id}`, { response: { continue: true } })).statusCode).toBe(404);
    // ttl 0: no limit.
    expect(await deployment.store.executions.get(long.id)).toMatchObject({ status: 'pending' });
    const canceled = await deployment.call('DELETE', `/api/v1/executions/${long.id}`);
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json()).toMatchObject({ status: 'canceled' });
  });
});
