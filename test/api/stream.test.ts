import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { eventBlocks, parseEventBlock, type StreamEvent } from '../helpers/event-stream.ts';
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
  const events: StreamEvent[] = [];
  let kicked = false;
  const timeout = setTimeout(() => controller.abort(), 30_000);
  try {
    for await (const blocks of eventBlocks(response.body!)) {
      if (!kicked) {
        kicked = true;
        await started();
      }
      for (const block of blocks) {
        const parsed = parseEventBlock(block);
        if (!parsed) continue;
        events.push(parsed);
        if (until(parsed.event, parsed.data)) return events;
      }
    }
    return events;
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
}

async function createOverHttp({ id, ...parameters }: Record<string, unknown>): Promise<St2Execution> {
  const response = await fetch(new URL('/api/v1/executions', stack.api.url), {
    method: 'POST',
    headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'core.local', parameters, ...(id === undefined ? {} : { id }) }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as St2Execution;
}

/** The execution id an st2 event is about: an execution's id, an output's execution_id. */
const executionOf = (data: Record<string, unknown>): unknown => data['execution_id'] ?? data['id'];

describe("StackStorm's stream over a real port", () => {
  it('/api/v1/stream sends st2.execution__create, __update with the execution in st2\'s shape, the liveaction twins and the output', async () => {
    let id = '';
    const events = await readEvents(
      '/api/v1/stream',
      (event, data) => event === 'st2.execution__update' && data['id'] === id && data['status'] === 'succeeded',
      async () => {
        id = (await createOverHttp({ cmd: 'echo first-line; sleep 0.2; echo second-line' })).id;
      },
    );
    const mine = events.filter((event) => executionOf(event.data) === id);
    expect(mine.filter((e) => e.event.startsWith('st2.execution__')).map((e) => [e.event, e.data['status']])).toEqual([
      ['st2.execution__create', 'requested'],
      ['st2.execution__update', 'scheduled'],
      ['st2.execution__update', 'running'],
      ['st2.execution__update', 'succeeded'],
    ]);
    const last = mine.filter((e) => e.event === 'st2.execution__update').at(-1)!.data;
    expect(last).toMatchObject({ action: { ref: 'core.local', runner_type: 'local-shell-cmd' }, runner: { name: 'local-shell-cmd' }, liveaction: { id, status: 'succeeded' }, context: { user: 'tester' } });
    expect(last).not.toHaveProperty('createdAt');
    const live = events.filter((e) => e.event.startsWith('st2.liveaction__') && e.data['id'] === id);
    expect(live[0]).toMatchObject({ event: 'st2.liveaction__create', data: { id, action: 'core.local', status: 'requested' } });
    // Each execution event comes before its liveaction twin: the reading stopped at the last execution event.
    expect(live.map((e) => e.data['status'])).toEqual(['requested', 'scheduled', 'running']);
    const output = mine.filter((e) => e.event === 'st2.execution.output__create');
    expect(output[0]!.data).toMatchObject({ execution_id: id, action_ref: 'core.local', runner_ref: 'local-shell-cmd', output_type: 'stdout' });
    const text = output.map((e) => e.data['data']).join('');
    expect(text).toContain('first-line');
    expect(text).toContain('second-line');
  });

  it("takes st2's events (globs), action_refs and execution_ids filters, and ends after end_event of end_execution_id", async () => {
    // The client chooses the id, so that the stream names it before it exists.
    const id = `filtered-${Date.now()}`;
    let other = '';
    const query = `events=st2.execution__*,st2.execution.output__create&action_refs=core.local&execution_ids=${id}&end_event=st2.execution__update&end_execution_id=${id}`;
    const events = await readEvents(`/stream/v1/stream?${query}`, () => false, async () => {
      other = (await createOverHttp({ cmd: 'echo other' })).id;
      await createOverHttp({ id, cmd: 'sleep 0.3; echo filtered' });
    });
    // The stream closed by itself after the completion of the execution it waited for.
    expect(events.at(-1)).toMatchObject({ event: 'st2.execution__update', data: { id, status: 'succeeded' } });
    expect(events.every((e) => executionOf(e.data) === id)).toBe(true);
    expect(events.some((e) => e.event.startsWith('st2.liveaction__'))).toBe(false);
    expect(events.map((e) => e.event)).toContain('st2.execution.output__create');
    expect(other).not.toBe('');
  });

  it('ends at once with the final update when end_execution_id completed before the subscription (st2 pack install of a small pack)', async () => {
    const created = await createOverHttp({ cmd: 'echo quick' });
    await retryUntil(async () => (await stack.store.executions.get(created.id))?.status === 'succeeded', { what: 'execution done' });
    const query = `events=st2.execution__create,st2.execution__update&end_event=st2.execution__update&end_execution_id=${created.id}`;
    const events = await readEvents(`/stream/v1/stream?${query}`, () => false, async () => undefined);
    expect(events).toEqual([expect.objectContaining({ event: 'st2.execution__update', data: expect.objectContaining({ id: created.id, status: 'succeeded' }) })]);
  });

  it('answers output_type=all of a running execution with stdout and stderr in the order they came', async () => {
    const created = await createOverHttp({ cmd: 'echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three; sleep 30' });
    const output = async (type: string) => (await stack.call('GET', `/api/v1/executions/${created.id}/output?output_type=${type}`)).body;
    await retryUntil(async () => (await output('all')).includes('three'), { what: 'the third line' });
    expect(await output('all')).toBe('one\ntwo\nthree\n');
    expect(await output('stderr')).toBe('two\n');
    expect(await output('stdout')).toBe('one\nthree\n');
    expect((await stack.call('DELETE', `/api/v1/executions/${created.id}`)).statusCode).toBe(200);
  });

  it('/stream/v1/executions/{id}/output sends the output as it comes, then EOF when it completes', async () => {
    const created = await createOverHttp({ cmd: 'sleep 0.3; echo done-here' });
    const events = await readEvents(`/stream/v1/executions/${created.id}/output`, () => false, async () => undefined);
    expect(events.at(-1)).toMatchObject({ event: 'EOF' });
    const output = events.filter((e) => e.event === 'st2.execution.output__create');
    expect(output.map((e) => e.data['data']).join('')).toContain('done-here');
    expect(output[0]!.data).toMatchObject({ execution_id: created.id, action_ref: 'core.local', output_type: 'stdout' });
  });

  it('the output stream of an execution that completed before the reader came carries all its output, from the record or its blobs', async () => {
    for (const cmd of ['echo finished-before', 'head -c 100000 /dev/zero | tr "\\0" y; echo; echo tail-line']) {
      const created = await createOverHttp({ cmd });
      await retryUntil(async () => (await stack.store.executions.get(created.id))?.status === 'succeeded', { what: 'execution done' });
      const events = await readEvents(`/stream/v1/executions/${created.id}/output`, () => false, async () => undefined);
      expect(events.at(-1)).toMatchObject({ event: 'EOF' });
      const output = events.filter((e) => e.event === 'st2.execution.output__create').map((e) => e.data['data']).join('');
      // The shell runners keep the output without its last newline, as StackStorm's do.
      expect(output).toBe(cmd.startsWith('echo') ? 'finished-before' : `${'y'.repeat(100_000)}\ntail-line`);
      const stderrOnly = await readEvents(`/stream/v1/executions/${created.id}/output?output_type=stderr`, () => false, async () => undefined);
      expect(stderrOnly.map((e) => e.event)).toEqual(['EOF']);
    }
  });

  it('sends the output stored with a completion before EOF, when the output events are late or lost', async () => {
    // What a broker that keeps no order between two queues may do: the completion event comes
    // first, the output events later or never.
    const id = `late-output-${Date.now()}`;
    // Held by the stack's live runner: a running execution of no runner is the reaper's to abandon
    // at its next beat, which ended the stream early in one run of five.
    await stack.store.executions.insert({
      id, action: 'core.local', pack: 'core', parameters: {}, status: 'running', context: {}, runnerId: stack.runner.id,
      log: [{ status: 'running', at: new Date().toISOString() }], createdAt: new Date().toISOString(), startedAt: new Date().toISOString(),
    });
    const events = await readEvents(`/stream/v1/executions/${id}/output`, () => false, async () => {
      await stack.bus.publish('execution-output', { executionId: id, stream: 'stdout', seq: 0, data: 'first part, ' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const endedAt = new Date().toISOString();
      await stack.store.executions.update({ id }, { set: { status: 'succeeded', endedAt, result: { stdout: 'first part, second part\n' }, outputSize: { stdout: 24, stderr: 0 } } });
      await stack.bus.publish('execution-updates', { executionId: id, status: 'succeeded', at: endedAt, changes: {} });
    });
    // The live chunk may or may not reach the stream before the completion (under load it comes
    // late); either way every byte of the output comes before EOF, and only once.
    const names = events.map((e) => e.event);
    expect(names.at(-1)).toBe('EOF');
    expect(names.slice(0, -1).every((name) => name === 'st2.execution.output__create') && names.length >= 2, names.join(',')).toBe(true);
    expect(events.filter((e) => e.event === 'st2.execution.output__create').map((e) => e.data['data']).join('')).toBe('first part, second part\n');
  });

  it('refuses the streams without a key', async () => {
    for (const route of ['/api/v1/stream', '/stream/v1/stream', '/stream/v1/executions/nothing/output']) {
      const response = await fetch(new URL(route, stack.api.url));
      expect(response.status, route).toBe(401);
    }
  });
});
