import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@packrun/api';
import type { ExecutionRecord } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startEmbeddedDeployment, type EmbeddedDeployment } from '../rules/embedded-deployment.ts';

/**
 * What a responder or whoever asked may try through an inquiry: a response carrying templates
 * (rendered later by a workflow, it would read the datastore as the runtime), a schema whose
 * pattern backtracks on the crafted response, an observer answering, an answer to an execution
 * that is not an inquiry.
 */
let deployment: EmbeddedDeployment;
let observer: string;

beforeAll(async () => {
  deployment = await startEmbeddedDeployment({ name: 'inquiry-attacks', packDirs: [] });
  observer = (await createApiKey(deployment.store, { user: 'peeker', role: 'observer' })).key;
  await deployment.call('PUT', '/api/v1/keys/inquiry-canary', { value: 'canary-secret-value', secret: true, scope: 'system' });
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
});

async function pendingAsk(parameters: Record<string, unknown>): Promise<string> {
  const created = await deployment.call('POST', '/api/v1/executions', { action: 'core.ask', parameters });
  expect(created.statusCode, created.body).toBe(201);
  const id = (created.json() as ExecutionRecord).id;
  await retryUntil(async () => (await deployment.store.executions.get(id))?.status === 'pending', { what: 'inquiry pending' });
  return id;
}

describe('an inquiry under attack', () => {
  it('keeps a response carrying templates as text, never rendered', async () => {
    const id = await pendingAsk({ schema: { type: 'object', properties: { note: { type: 'string' } } } });
    const note = '{{ st2kv.system["inquiry-canary"] | decrypt_kv }} <% $.x %>';
    expect((await deployment.call('PUT', `/api/v1/inquiries/${id}`, { response: { note } })).statusCode).toBe(200);
    const record = await deployment.store.executions.get(id);
    expect(record?.result?.['response']).toEqual({ note });
    expect(JSON.stringify(record)).not.toContain('canary-secret-value');
  });

  it('refuses at once a response crafted against a backtracking pattern in its schema', async () => {
    const id = await pendingAsk({ schema: { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } } });
    const started = Date.now();
    const answered = await deployment.call('PUT', `/api/v1/inquiries/${id}`, { response: { code: `${'a'.repeat(40)}!` } });
    expect(answered.statusCode).toBe(400);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await deployment.call('GET', '/api/v1/health')).statusCode).toBe(200);
  });

  it('refuses an observer, and an answer to an execution that is no inquiry', async () => {
    const id = await pendingAsk({});
    const peek = await deployment.call('PUT', `/api/v1/inquiries/${id}`, { response: { continue: true } }, { 'x-api-key': observer });
    expect(peek.statusCode).toBe(403);
    expect(await deployment.store.executions.get(id)).toMatchObject({ status: 'pending' });
    const plain = await deployment.call('POST', '/api/v1/executions', { action: 'core.noop' });
    const plainId = (plain.json() as ExecutionRecord).id;
    await retryUntil(async () => (await deployment.store.executions.get(plainId))?.status === 'succeeded', { what: 'noop done' });
    expect((await deployment.call('PUT', `/api/v1/inquiries/${plainId}`, { response: { continue: true } })).statusCode).toBe(404);
    const mismatched = await deployment.call('PUT', `/api/v1/inquiries/${id}`, { id: plainId, response: { continue: true } });
    expect(mismatched.statusCode).toBe(400);
  });
});
