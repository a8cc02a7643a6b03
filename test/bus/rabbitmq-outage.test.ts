import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitMqBus, isPackrunError, type Bus, type ExecutionRequestMessage } from '@packrun/core';
import { rabbitNodeUnavailable, startRabbitNode, type RabbitNode } from '../helpers/rabbitmq-node.ts';
import { retryUntil } from '../helpers/retry-until.ts';

// These tests stop and kill a broker, so they run their own node, never the machine's one on 5672.
const unavailable = rabbitNodeUnavailable();
if (unavailable !== undefined) console.log(`skipping RabbitMQ outage tests: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('RabbitMQ bus across broker outages (private node)', () => {
  let node: RabbitNode;
  let bus: Bus;
  beforeAll(async () => {
    node = await startRabbitNode();
    bus = createRabbitMqBus({ url: node.url, prefix: 'outage', reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 500, enqueueTimeoutMs: 60_000 });
    await bus.waitReady(20_000);
  });
  afterAll(async () => {
    await bus?.close();
    await node?.dispose();
  });

  const request = (n: number): ExecutionRequestMessage => ({ executionId: `ex-${n}`, action: 'core.echo', parameters: { n } });

  it('delays, not loses, messages enqueued while the broker restarts, and the consumer resumes by itself', async () => {
    const received: string[] = [];
    const updates: string[] = [];
    const consumer = await bus.consume('executions', async (message) => void received.push(message.executionId), { prefetch: 4 });
    const subscription = await bus.subscribe('execution-updates', (event) => void updates.push(event.executionId));
    for (let n = 0; n < 5; n += 1) await bus.enqueue('executions', request(n));
    await retryUntil(() => received.length === 5);

    await node.stop();
    await retryUntil(() => !bus.ready, { what: 'the bus noticing the outage' });
    let confirmed = 0;
    const during = Array.from({ length: 5 }, (_, i) => bus.enqueue('executions', request(5 + i)).then(() => void (confirmed += 1)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(confirmed).toBe(0);

    await node.start();
    await Promise.all(during);
    expect(confirmed).toBe(5);
    await retryUntil(() => new Set(received).size === 10, { withinMs: 30_000, what: 'all ten messages delivered' });
    expect([...new Set(received)].sort()).toEqual(Array.from({ length: 10 }, (_, n) => `ex-${n}`).sort());
    expect(bus.ready).toBe(true);

    // Topic subscriptions are re-registered too.
    await bus.publish('execution-updates', { executionId: 'ex-after', status: 'running', at: new Date().toISOString() });
    await retryUntil(() => updates.includes('ex-after'));
    await consumer.cancel();
    await subscription.unsubscribe();
  });

  it('redelivers, flagged, a message a consumer held when the broker crashed', async () => {
    const seen: Array<{ id: string; redelivered: boolean }> = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = await bus.consume('trigger-instances', async (message, info) => {
      seen.push({ id: message.id, redelivered: info.redelivered });
      if (!info.redelivered) await held;
    }, { prefetch: 1 });
    await bus.enqueue('trigger-instances', { id: 'ti-crash', trigger: 'core.t', payload: {}, occurredAt: new Date().toISOString() });
    await retryUntil(() => seen.length === 1);

    await node.kill();
    await retryUntil(() => !bus.ready);
    await node.start();
    await retryUntil(() => seen.length >= 2, { withinMs: 30_000, what: 'the held message coming back' });
    expect(seen[1]).toEqual({ id: 'ti-crash', redelivered: true });
    // The first handler finishing now must not disturb the new channel.
    release();
    await bus.enqueue('trigger-instances', { id: 'ti-next', trigger: 'core.t', payload: {}, occurredAt: new Date().toISOString() });
    await retryUntil(() => seen.some((s) => s.id === 'ti-next'));
    await consumer.cancel();
  });

  it('resends what was in flight, unconfirmed, when the broker crashed mid-burst', async () => {
    const received = new Set<string>();
    const consumer = await bus.consume('executions', async (message) => void received.add(message.executionId), { prefetch: 20 });
    const burst = Array.from({ length: 400 }, (_, n) => bus.enqueue('executions', request(1000 + n)));
    await node.kill();
    await node.start();
    await Promise.all(burst);
    await retryUntil(() => received.size >= 400 && Array.from({ length: 400 }, (_, n) => `ex-${1000 + n}`).every((id) => received.has(id)), {
      withinMs: 30_000,
      what: 'every message of the burst delivered',
    });
    await consumer.cancel();
  });

  it('gives up on an enqueue with BUS_UNAVAILABLE after its bounded wait', async () => {
    const impatient = createRabbitMqBus({ url: node.url, prefix: 'outage', enqueueTimeoutMs: 300, reconnectMaxDelayMs: 200 });
    await impatient.waitReady(20_000);
    await node.stop();
    try {
      await retryUntil(() => !impatient.ready);
      const error = await impatient.enqueue('executions', request(99)).then(() => undefined, (e: unknown) => e);
      expect(isPackrunError(error) ? error.code : error).toBe('BUS_UNAVAILABLE');
      const waited = await impatient.waitReady(100).then(() => undefined, (e: unknown) => e);
      expect(isPackrunError(waited) ? waited.code : waited).toBe('BUS_UNAVAILABLE');
    } finally {
      await impatient.close();
      await node.start();
    }
  });
});
