import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxOutputRuns, type ExecutionRecord } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { insertExecution } from './authz-fixture.ts';

// The order of a completed execution's output (outputRuns) is what a runner says: a remote
// runner reports it over the API. Runs that point past the output stored, at a stream that does
// not exist, or inside a character must neither crash the output route (nor the output stream's
// catch-up, which replays the same runs) nor make it serve bytes that are not the execution's
// stored output: it only ever reorders stdout and stderr, and never tags one as the other.

let stack: ServiceStack;
let runnerKey: string;
let runnerId: string;

beforeAll(async () => {
  stack = await startStack({ packs: ['core'], env: { PACKRUN_RESULT_INLINE_BYTES: '1024' } });
  const { key, record } = await createApiKey(stack.store, { user: 'runner-x', role: 'runner' });
  runnerKey = key;
  runnerId = `${record.id}.host-x`;
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

function asRunner(what: string, body: unknown) {
  return stack.api.app.inject({ method: 'POST', url: `/api/v1/runners/${runnerId}/${what}`, headers: { 'x-api-key': runnerKey }, payload: body as Record<string, unknown> });
}

/** An execution this runner holds, completed with `outcome`; the response to the completion. */
async function completeWith(outcome: Record<string, unknown>): Promise<{ id: string; status: number; body: string }> {
  const id = await insertExecution(stack.store);
  expect((await asRunner('claim', { executionId: id })).json()).toMatchObject({ decision: 'run' });
  const response = await asRunner('complete', { executionId: id, outcome: { status: 'succeeded', durationMs: 5, ...outcome } });
  return { id, status: response.statusCode, body: response.body };
}

const result = { stdout: 'out-é-1|out-2|', stderr: 'err-日-1|err-2|' };
const storedBytes = [...Buffer.from(result.stdout), ...Buffer.from(result.stderr)].sort();

async function servedAll(id: string): Promise<string> {
  const response = await stack.call('GET', `/api/v1/executions/${id}/output?output_type=all`);
  expect(response.statusCode, response.body).toBe(200);
  // Whatever the runs say, the answer is the stored bytes and no others.
  expect([...response.rawPayload].sort()).toEqual(storedBytes);
  return response.body;
}

/**
 * The output stream (st2stream) of the completed execution, to its `EOF`: each stream's text as
 * its events tag it, and the whole in the order sent.
 */
async function streamedTagged(id: string): Promise<{ stdout: string; stderr: string; all: string }> {
  const response = await stack.api.app.inject({ method: 'GET', url: `/stream/v1/executions/${id}/output`, headers: { 'st2-api-key': stack.apiKey } });
  expect(response.statusCode, response.body).toBe(200);
  const events = response.body.split('\n\n').filter((block) => block.startsWith('event: '));
  expect(events.at(-1)).toBe("event: EOF\ndata: ''");
  const tagged = { stdout: '', stderr: '', all: '' };
  for (const block of events.slice(0, -1)) {
    const { output_type: stream, data } = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { output_type: 'stdout' | 'stderr'; data: string };
    tagged[stream] += data;
    tagged.all += data;
  }
  return tagged;
}

describe('a run list a runner reports', () => {
  it('is refused when it is not a list of [0|1, positive integer] pairs, or too long', async () => {
    for (const outputRuns of [[[2, 5]], [[0, -1]], [[0, 0]], [[0, 1.5]], [[0, 1, 1]], [[0]], [{ stream: 0, bytes: 1 }], 'runs', Array.from({ length: maxOutputRuns + 1 }, (_, index) => [index % 2, 1])]) {
      const { id, status, body } = await completeWith({ result, outputRuns });
      expect(status, JSON.stringify(outputRuns).slice(0, 80)).toBe(400);
      expect(body).toContain('outputRuns');
      expect((await stack.store.executions.get(id))?.status).toBe('running');
    }
  });

  it('is cut to the output stored when its lengths point past it, inline or in blobs', async () => {
    for (const big of [false, true]) {
      const padded = big ? { ...result, stdout: `${result.stdout}${'.'.repeat(2000)}` } : result;
      const { id, status } = await completeWith({ result: padded, outputRuns: [[1, 9], [0, 1e12], [1, Number.MAX_SAFE_INTEGER]] });
      expect(status).toBe(204);
      const record = (await stack.store.executions.get(id)) as ExecutionRecord;
      expect(record.resultBlobs === undefined).toBe(!big);
      const sizes = record.outputSize!;
      expect(record.outputRuns).toEqual([[1, 9], [0, sizes.stdout], [1, sizes.stderr - 9]]);
      const response = await stack.call('GET', `/api/v1/executions/${id}/output`);
      expect(response.body).toBe(`err-日-1${padded.stdout}|err-2|`);
    }
  });
});

describe('a run list stored in the record, crafted', () => {
  it('never crashes the output route nor serves anything but the stored output', async () => {
    const { id } = await completeWith({ result });
    const crafted: unknown[] = [
      'runs',
      { length: 3 },
      [[9, 4]],
      [[0, -5], [1, 3]],
      [[0, Number.POSITIVE_INFINITY]],
      [[0, 1e300], [1, 1e300]],
      [[1, 1], [0, 1], [1, 1], [0, 5]],
      // 5 bytes into stdout is inside é, 4 bytes into stderr inside 日.
      [[0, 5], [1, 5], [0, 1]],
      Array.from({ length: 100_000 }, () => [0, 1]),
      [[0, { valueOf: () => 3 }]],
    ];
    for (const outputRuns of crafted) {
      await stack.store.executions.update({ id }, { set: { outputRuns: outputRuns as ExecutionRecord['outputRuns'] } });
      const body = await servedAll(id);
      expect(body).not.toContain('\uFFFD');
      // The output stream replays the same runs: each stream's text whole under its own tag, and
      // the whole as the output route serves it.
      expect(await streamedTagged(id)).toEqual({ ...result, all: body });
    }
    // Sizes stored larger than the output (a damaged record) do not make runs read past it either.
    await stack.store.executions.update({ id }, { set: { outputSize: { stdout: 1e9, stderr: 1e9 }, outputRuns: [[1, 1e6], [0, 1e6]] } });
    expect(await servedAll(id)).toBe(`${result.stderr}${result.stdout}`);
    expect(await streamedTagged(id)).toEqual({ ...result, all: `${result.stderr}${result.stdout}` });
  });
});
