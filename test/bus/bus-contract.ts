import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPackrunError, type Bus, type ExecutionRequestMessage, type ExecutionUpdateEvent } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';

/**
 * The behaviour every Bus must have. `open` returns a fresh bus whose queues and topics no other
 * test sees; the suite closes it afterwards.
 */
export function busContract(open: () => Promise<Bus>): void {
  let bus: Bus;
  beforeEach(async () => {
    bus = await open();
  });
  afterEach(async () => {
    await bus.close();
  });

  const request = (n: number): ExecutionRequestMessage => ({ executionId: `ex-${n}`, action: 'core.echo', parameters: { n, nested: { 'a.b': [1, null] } } });
  const update = (n: number): ExecutionUpdateEvent => ({ executionId: `ex-${n}`, status: 'running', at: new Date(n).toISOString() });

  function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  describe('work queues', () => {
    it('is ready and delivers a message enqueued before anyone consumes, once, as sent', async () => {
      expect(bus.ready).toBe(true);
      await bus.waitReady(1000);
      await bus.enqueue('executions', request(1));
      const got: Array<{ message: ExecutionRequestMessage; redelivered: boolean }> = [];
      const consumer = await bus.consume('executions', async (message, info) => {
        got.push({ message, redelivered: info.redelivered });
      }, { prefetch: 1 });
      await retryUntil(() => got.length === 1);
      expect(got[0]).toEqual({ message: request(1), redelivered: false });
      // An acked message is gone: a marker sent after it is the only thing the next consumer sees.
      await consumer.cancel();
      await bus.enqueue('executions', request(2));
      const later: string[] = [];
      const second = await bus.consume('executions', async (message) => {
        later.push(message.executionId);
      }, { prefetch: 1 });
      await retryUntil(() => later.length === 1);
      expect(later).toEqual(['ex-2']);
      await second.cancel();
    });

    it('keeps queues apart', async () => {
      const executions: string[] = [];
      const instances: string[] = [];
      await bus.consume('executions', async (message) => void executions.push(message.executionId), { prefetch: 5 });
      await bus.consume('trigger-instances', async (message) => void instances.push(message.id), { prefetch: 5 });
      await bus.enqueue('trigger-instances', { id: 'ti-1', trigger: 'core.t', payload: { x: 1 }, occurredAt: '2026-01-01T00:00:00.000Z' });
      await bus.enqueue('executions', request(7));
      await retryUntil(() => executions.length === 1 && instances.length === 1);
      expect(executions).toEqual(['ex-7']);
      expect(instances).toEqual(['ti-1']);
    });

    it('never hands a consumer more unsettled messages than its prefetch', async () => {
      const gate = deferred();
      let inFlight = 0;
      let maxInFlight = 0;
      const slowDone: number[] = [];
      await bus.consume('executions', async (message) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await gate.promise;
        inFlight -= 1;
        slowDone.push(message.parameters['n'] as number);
      }, { prefetch: 2 });
      for (let n = 0; n < 7; n += 1) await bus.enqueue('executions', request(n));
      await retryUntil(() => inFlight === 2);
      // The blocked consumer holds exactly two; everything else is left for a free consumer.
      const fastDone: number[] = [];
      await bus.consume('executions', async (message) => void fastDone.push(message.parameters['n'] as number), { prefetch: 1 });
      await retryUntil(() => fastDone.length === 5);
      expect(maxInFlight).toBe(2);
      expect(slowDone).toEqual([]);
      gate.resolve();
      await retryUntil(() => slowDone.length === 2);
      expect([...slowDone, ...fastDone].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    });

    it('requeues a message whose handler rejects, flagged as redelivered', async () => {
      const seen: Array<{ id: string; redelivered: boolean }> = [];
      await bus.consume('executions', async (message, info) => {
        seen.push({ id: message.executionId, redelivered: info.redelivered });
        if (!info.redelivered) throw new Error('not this time');
      }, { prefetch: 1 });
      await bus.enqueue('executions', request(3));
      await retryUntil(() => seen.length === 2);
      expect(seen).toEqual([
        { id: 'ex-3', redelivered: false },
        { id: 'ex-3', redelivered: true },
      ]);
    });

    it('gives each message to exactly one of competing consumers', async () => {
      const byConsumer: Record<string, string[]> = { a: [], b: [] };
      const slow = async (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
      await bus.consume('executions', async (message) => {
        byConsumer['a']?.push(message.executionId);
        await slow();
      }, { prefetch: 1 });
      await bus.consume('executions', async (message) => {
        byConsumer['b']?.push(message.executionId);
        await slow();
      }, { prefetch: 1 });
      await Promise.all(Array.from({ length: 20 }, (_, n) => bus.enqueue('executions', request(n))));
      const all = (): string[] => [...(byConsumer['a'] ?? []), ...(byConsumer['b'] ?? [])];
      await retryUntil(() => all().length >= 20);
      expect(new Set(all()).size).toBe(20);
      expect(all()).toHaveLength(20);
    });

    it('carries a burst of 2000 concurrent enqueues, each delivered once, well above 100 messages a second', async () => {
      const seen = new Set<string>();
      let duplicates = 0;
      await bus.consume('executions', async (message) => {
        if (seen.has(message.executionId)) duplicates += 1;
        seen.add(message.executionId);
      }, { prefetch: 50 });
      const started = Date.now();
      await Promise.all(Array.from({ length: 2000 }, (_, n) => bus.enqueue('executions', request(n))));
      await retryUntil(() => seen.size === 2000, { withinMs: 20_000, what: '2000 messages delivered' });
      expect(duplicates).toBe(0);
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    it('redelivers what an abandoned consumer held to another consumer, flagged', async () => {
      const held: string[] = [];
      const never = deferred();
      const dead = await bus.consume('executions', async (message) => {
        held.push(message.executionId);
        await never.promise;
      }, { prefetch: 2 });
      await bus.enqueue('executions', request(1));
      await bus.enqueue('executions', request(2));
      await retryUntil(() => held.length === 2);
      await dead.cancel({ abandon: true });
      const rescued: Array<{ id: string; redelivered: boolean }> = [];
      await bus.consume('executions', async (message, info) => {
        rescued.push({ id: message.executionId, redelivered: info.redelivered });
      }, { prefetch: 5 });
      await retryUntil(() => rescued.length === 2);
      expect(rescued.map((r) => r.id).sort()).toEqual(['ex-1', 'ex-2']);
      expect(rescued.every((r) => r.redelivered)).toBe(true);
      // The dead handler finishing late must not ack or duplicate anything.
      never.resolve();
      await bus.enqueue('executions', request(3));
      await retryUntil(() => rescued.length === 3);
      expect(rescued.map((r) => r.id).sort()).toEqual(['ex-1', 'ex-2', 'ex-3']);
    });

    it('lets a cancelled consumer finish and ack what it holds', async () => {
      const gate = deferred();
      const finished: string[] = [];
      let started = false;
      const consumer = await bus.consume('executions', async (message) => {
        started = true;
        await gate.promise;
        finished.push(message.executionId);
      }, { prefetch: 1 });
      await bus.enqueue('executions', request(1));
      await retryUntil(() => started);
      let cancelled = false;
      const cancelling = consumer.cancel().then(() => {
        cancelled = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(cancelled).toBe(false);
      gate.resolve();
      await cancelling;
      expect(cancelled).toBe(true);
      expect(finished).toEqual(['ex-1']);
      const after: string[] = [];
      await bus.consume('executions', async (message) => void after.push(message.executionId), { prefetch: 1 });
      await bus.enqueue('executions', request(2));
      await retryUntil(() => after.length === 1);
      expect(after).toEqual(['ex-2']);
    });
  });

  describe('topics', () => {
    it('fans every event out to every subscriber, in order, until it unsubscribes', async () => {
      const first: string[] = [];
      const second: string[] = [];
      const cancels: string[] = [];
      const sub1 = await bus.subscribe('execution-updates', (event) => void first.push(event.executionId));
      await bus.subscribe('execution-updates', (event) => void second.push(event.executionId));
      await bus.subscribe('execution-cancel', (event) => void cancels.push(event.executionId));
      for (let n = 0; n < 5; n += 1) await bus.publish('execution-updates', update(n));
      await retryUntil(() => first.length === 5 && second.length === 5);
      expect(first).toEqual(['ex-0', 'ex-1', 'ex-2', 'ex-3', 'ex-4']);
      expect(second).toEqual(first);
      await sub1.unsubscribe();
      await bus.publish('execution-updates', update(5));
      await bus.publish('execution-cancel', { executionId: 'ex-9', at: '2026-01-01T00:00:00.000Z' });
      await retryUntil(() => second.length === 6 && cancels.length === 1);
      expect(first).toHaveLength(5);
      expect(cancels).toEqual(['ex-9']);
    });

    it('survives a subscriber that throws', async () => {
      const got: number[] = [];
      await bus.subscribe('execution-output', () => {
        throw new Error('bad subscriber');
      });
      await bus.subscribe('execution-output', (event) => void got.push(event.seq));
      await bus.publish('execution-output', { executionId: 'ex-1', stream: 'stdout', seq: 1, data: 'a' });
      await bus.publish('execution-output', { executionId: 'ex-1', stream: 'stdout', seq: 2, data: 'b' });
      await retryUntil(() => got.length === 2);
      expect(got).toEqual([1, 2]);
    });
  });

  describe('closing', () => {
    it('refuses work after close', async () => {
      await bus.close();
      expect(bus.ready).toBe(false);
      const error = await bus.enqueue('executions', request(1)).then(() => undefined, (e: unknown) => e);
      expect(isPackrunError(error) ? error.code : error).toBe('BUS_CLOSED');
    });
  });
}
