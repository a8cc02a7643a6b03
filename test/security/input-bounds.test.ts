import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRabbitMqBus, newId, type ExecutionRecord, type TriggerInstanceMessage } from '@packrun/core';
import { registerBuiltinTriggerTypes } from '@packrun/rules-engine';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from '../api/harness.ts';

// Inputs from API callers, webhook senders and anyone who can publish on the broker, against the
// bounds checked at the edge (PACKRUN_INPUT_*, PACKRUN_JSON_MAX_DEPTH). Before them, each of these
// was accepted and stored (201/202/200), or handed to a handler: a context or payload nested 60
// levels deep (the store refuses only past 100, after the work), a 2 MiB string, a heartbeat
// listing 200,000 "running" executions stored on every beat, a broker message 100,000 levels deep.

let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({ packs: ['core'] });
  await registerBuiltinTriggerTypes(stack.store);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

const arrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A raw JSON body, as an attacker writes it (inject would serialise an object itself). */
async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const started = Date.now();
  const response = await stack.api.app.inject({ method: 'POST', url, headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json', ...headers }, payload: body });
  return { status: response.statusCode, body: response.json<{ code: string; message: string }>(), ms: Date.now() - started };
}

describe('input bounds at the edge', () => {
  it('refuses an execution whose context nests arrays 60 deep, naming the limit, and stores nothing', async () => {
    const before = await stack.store.executions.count({});
    const refused = await post('/api/v1/executions', `{"action":"core.echo","parameters":{"message":"x"},"context":{"a":${arrays(60)}}}`);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INPUT_TOO_DEEP' });
    expect(refused.body.message).toContain('PACKRUN_JSON_MAX_DEPTH');
    expect(await stack.store.executions.count({})).toBe(before);
  });

  it('refuses a body 100,000 levels deep without parsing it', async () => {
    const refused = await post('/api/v1/executions', `{"action":"core.echo","context":{"a":${arrays(100_000)}}}`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('INPUT_TOO_DEEP');
  });

  it('refuses a webhook payload of deep arrays and one holding a 2 MiB string', async () => {
    const deep = await post('/api/v1/webhooks/st2', `{"trigger":"core.st2.webhook","payload":{"body":${arrays(60)}}}`);
    expect(deep.status).toBe(400);
    expect(deep.body.code).toBe('INPUT_TOO_DEEP');
    const long = await post('/api/v1/webhooks/st2', JSON.stringify({ trigger: 'core.st2.webhook', payload: { body: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(long.status).toBe(413);
    expect(long.body).toMatchObject({ code: 'INPUT_STRING_TOO_LONG' });
    expect(long.body.message).toContain('PACKRUN_INPUT_MAX_STRING');
  });

  it('refuses a text webhook body over the string limit, as a JSON one', async () => {
    await stack.store.triggers.put({
      id: 'core.hook', ref: 'core.hook', pack: 'core', name: 'hook', type: 'core.st2.webhook', parameters: { url: 'hook' },
      parametersKey: '{"url":"hook"}', refCount: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const response = await stack.api.app.inject({
      method: 'POST', url: '/api/v1/webhooks/hook', headers: { 'x-api-key': stack.apiKey, 'content-type': 'text/plain' }, payload: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'INPUT_STRING_TOO_LONG' });
  });

  it('refuses a body over the size limit with its own code', async () => {
    const refused = await post('/api/v1/executions', JSON.stringify({ action: 'core.echo', parameters: { message: 'x'.repeat(5 * 1024 * 1024) } }));
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(refused.body.message).toContain('PACKRUN_INPUT_MAX_BYTES');
  });

  it('refuses an oversized heartbeat, and one with fields of its own, storing nothing', async () => {
    const runner = 'attacker-runner';
    const running = Array.from({ length: 200_000 }, (_, index) => `execution-${index}`);
    const huge = await post(`/api/v1/runners/${runner}/heartbeat`, JSON.stringify({ host: 'h', pid: 1, concurrency: 1, running }));
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('INPUT_TOO_LARGE');
    const extra = await post(`/api/v1/runners/${runner}/heartbeat`, JSON.stringify({ host: 'h', pid: 1, concurrency: 1, running: [], note: 'x'.repeat(1000) }));
    expect(extra.status).toBe(400);
    expect(extra.body.message).toContain('body.note is not an accepted field');
    expect(await stack.store.runners.get(runner)).toBeUndefined();
  });

  it('still takes an honest execution', async () => {
    const created = await post('/api/v1/executions', JSON.stringify({ action: 'core.echo', parameters: { message: 'fine' }, context: { a: [[[1]]] } }));
    expect(created.status).toBe(201);
    let record: ExecutionRecord | undefined;
    await retryUntil(async () => (record = await stack.store.executions.get((created.body as unknown as ExecutionRecord).id))?.status === 'succeeded', { withinMs: 30_000 });
    expect(record?.result).toMatchObject({ stdout: expect.stringContaining('fine') });
  });
});

describe('bus messages from the broker', () => {
  const rabbitmqUrl = process.env['PACKRUN_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

  it('drops a message nested 100,000 deep before any handler sees it, and still delivers the next', async () => {
    const prefix = `bounds-${newId()}`;
    const bus = createRabbitMqBus({ url: rabbitmqUrl, prefix, logger: createLogger({ level: 'silent' }) });
    await bus.waitReady();
    const received: unknown[] = [];
    const consumer = await bus.consume('trigger-instances', async (message: TriggerInstanceMessage) => {
      received.push(message);
    }, { prefetch: 1 });
    const connection = await amqp.connect(rabbitmqUrl);
    const channel = await connection.createChannel();
    try {
      const queue = `${prefix}.trigger-instances`;
      channel.sendToQueue(queue, Buffer.from(`{"id":"deep","trigger":"x","payload":{"a":${arrays(100_000)}}}`));
      channel.sendToQueue(queue, Buffer.from(JSON.stringify({ id: 'honest', trigger: 'x', payload: {}, occurredAt: '2026-01-01T00:00:00.000Z' })));
      await retryUntil(() => received.length > 0, { withinMs: 10_000, what: 'the honest message' });
      expect(received).toEqual([expect.objectContaining({ id: 'honest' })]);
    } finally {
      await consumer.cancel();
      await channel.deleteQueue(`${prefix}.trigger-instances`).catch(() => undefined);
      await connection.close();
      await bus.close();
    }
  });
});
