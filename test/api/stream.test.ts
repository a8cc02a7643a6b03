import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from './harness.ts';

let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({ packs: ['core'], listen: true });
});

afterAll(async () => {
  await stack?.close();
});

/** Reads Server-Sent Events from a real socket until `until` says stop. */
async function readEvents(route: string, until: (event: string, data: Record<string, unknown>) => boolean, started: () => Promise<void>) {
  const controller = new AbortController();
  const response = await fetch(new URL(route, stack.api.url), { headers: { 'st2-api-key': stack.apiKey }, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let kicked = false;
  const timeout = setTimeout(() => controller.abort(), 30_000);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      if (!kicked) {
        kicked = true;
        await started();
      }
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        const parsed = { event, data: JSON.parse(data) as Record<string, unknown> };
        events.push(parsed);
        if (until(parsed.event, parsed.data)) return events;
      }
    }
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
}

async function createOverHttp(parameters: Record<string, unknown>): Promise<ExecutionRecord> {
  const response = await fetch(new URL('/api/v1/executions', stack.api.url), {
    method: 'POST',
    headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'core.local', parameters }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as ExecutionRecord;
}

describe('live stream over a real port', () => {
  it('/api/v1/stream delivers status changes and output chunks of executions as they happen', async () => {
    let id = '';
    const events = await readEvents(
      '/api/v1/stream',
      (event, data) => event === 'execution-updates' && data['executionId'] === id && data['status'] === 'succeeded',
      async () => {
        id = (await createOverHttp({ cmd: 'echo first-line; sleep 0.2; echo second-line' })).id;
      },
    );
    const mine = events.filter((event) => event.data['executionId'] === id);
    expect(mine.filter((e) => e.event === 'execution-updates').map((e) => e.data['status'])).toEqual([
      'requested',
      'scheduled',
      'running',
      'succeeded',
    ]);
    const output = mine.filter((e) => e.event === 'execution-output').map((e) => e.data['data']).join('');
    expect(output).toContain('first-line');
    expect(output).toContain('second-line');
  });

  it('the per-execution stream starts with its state and ends when it completes', async () => {
    const created = await createOverHttp({ cmd: 'sleep 0.3; echo done-here' });
    const events = await readEvents(`/api/v1/executions/${created.id}/stream`, () => false, async () => undefined);
    expect(events[0]).toMatchObject({ event: 'execution', data: { id: created.id } });
    expect(events.at(-1)).toMatchObject({ event: 'execution-updates', data: { executionId: created.id, status: 'succeeded' } });
    expect(events.filter((e) => e.event === 'execution-output').map((e) => e.data['data']).join('')).toContain('done-here');
  });

  it('the stream of an execution that completed before the reader came carries all its output, from the record or its blobs', async () => {
    for (const cmd of ['echo finished-before', 'head -c 100000 /dev/zero | tr "\\0" y; echo; echo tail-line']) {
      const created = await createOverHttp({ cmd });
      await retryUntil(async () => (await stack.store.executions.get(created.id))?.status === 'succeeded', { what: 'execution done' });
      const events = await readEvents(`/api/v1/executions/${created.id}/stream`, () => false, async () => undefined);
      expect(events[0]).toMatchObject({ event: 'execution', data: { id: created.id, status: 'succeeded' } });
      const output = events.filter((e) => e.event === 'execution-output').map((e) => e.data['data']).join('');
      // The shell runners keep the output without its last newline, as StackStorm's do.
      expect(output).toBe(cmd.startsWith('echo') ? 'finished-before' : `${'y'.repeat(100_000)}\ntail-line`);
    }
  });

  it('sends the output stored with a completion before the completion itself, when the output events are late or lost', async () => {
    // What a broker that keeps no order between two queues may do: the completion event comes
    // first, the output events later or never.
    const id = `late-output-${Date.now()}`;
    // Held by the stack's live runner: a running execution of no runner is the reaper's to abandon
    // at its next beat, which ended the stream early in one run of five.
    await stack.store.executions.insert({
      id, action: 'core.local', pack: 'core', parameters: {}, status: 'running', context: {}, runnerId: stack.runner.id,
      log: [{ status: 'running', at: new Date().toISOString() }], createdAt: new Date().toISOString(), startedAt: new Date().toISOString(),
    });
    const events = await readEvents(`/api/v1/executions/${id}/stream`, () => false, async () => {
      await stack.bus.publish('execution-output', { executionId: id, stream: 'stdout', seq: 0, data: 'first part, ' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const endedAt = new Date().toISOString();
      await stack.store.executions.update({ id }, { set: { status: 'succeeded', endedAt, result: { stdout: 'first part, second part\n' }, outputSize: { stdout: 24, stderr: 0 } } });
      await stack.bus.publish('execution-updates', { executionId: id, status: 'succeeded', at: endedAt, changes: {} });
    });
    // The live chunk may or may not reach the stream before the completion (under load it comes
    // late); either way every byte of the output comes before the completion, and only once.
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('execution');
    expect(names.at(-1)).toBe('execution-updates');
    expect(names.slice(1, -1).every((name) => name === 'execution-output') && names.length >= 3, names.join(',')).toBe(true);
    expect(events.filter((e) => e.event === 'execution-output').map((e) => e.data['data']).join('')).toBe('first part, second part\n');
  });

  it('refuses the stream without a key', async () => {
    const response = await fetch(new URL('/api/v1/stream', stack.api.url));
    expect(response.status).toBe(401);
  });
});
