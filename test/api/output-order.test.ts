import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { st2Missing, st2User } from '../st2client/st2-cli.ts';
import { startStack, type ServiceStack } from './harness.ts';

// A completed execution's output, stored as stdout and stderr apart, comes back from st2's
// output route in the order the action wrote it, as it does while the execution runs: inline in
// the record or from blobs, cut at the output cap, with characters of several bytes.

const inlineBytes = 2048;
const capBytes = 8192;

let stack: ServiceStack;
const users = mkdtempSync(path.join(os.tmpdir(), 'packrun-output-order-'));

afterAll(async () => {
  await rm(users, { recursive: true, force: true });
});

type Part = { stream: 'stdout' | 'stderr'; text: string; repeat?: number } | { stream: 'stdout' | 'stderr'; hex: string };

async function takeTurns(parts: Part[]): Promise<St2Execution> {
  const created = await stack.call('POST', '/api/v1/executions', { action: 'output_order.take_turns', parameters: { parts } });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json<St2Execution>().id;
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), { withinMs: 60_000, what: `${id} done` });
  expect(record!.status, JSON.stringify(record!.result)).toBe('succeeded');
  return record!;
}

async function output(id: string, type?: 'all' | 'stdout' | 'stderr'): Promise<string> {
  const response = await stack.call('GET', `/api/v1/executions/${id}/output${type ? `?output_type=${type}` : ''}`);
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain/);
  return response.body;
}

type Tagged = ['stdout' | 'stderr', string];

/**
 * The output stream of an execution (st2stream, what `packrun execution tail` and the web UI
 * read), to its end: each event's stream and text, neighbours of one stream joined, as the
 * chunks of the catch-up may split a turn anywhere.
 */
async function streamed(id: string, type: 'all' | 'stdout' | 'stderr' = 'all'): Promise<Tagged[]> {
  const response = await fetch(new URL(`/stream/v1/executions/${id}/output?output_type=${type}`, stack.api.url), { headers: { 'st2-api-key': stack.apiKey } });
  expect(response.status).toBe(200);
  const events = (await response.text()).split('\n\n').filter((block) => block.startsWith('event: '));
  expect(events.at(-1)).toBe("event: EOF\ndata: ''");
  const tagged: Tagged[] = [];
  for (const block of events.slice(0, -1)) {
    const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { execution_id: string; output_type: Tagged[0]; data: string };
    expect(block.startsWith('event: st2.execution.output__create\n')).toBe(true);
    expect(data.execution_id).toBe(id);
    const last = tagged.at(-1);
    if (last?.[0] === data.output_type) last[1] += data.data;
    else tagged.push([data.output_type, data.data]);
  }
  return tagged;
}

const turns = (texts: string[], repeat = 1): Part[] => texts.map((text, index) => ({ stream: index % 2 === 0 ? 'stdout' : 'stderr', text, repeat }));

// Python actions forked from a warm zygote (job-supervisor.ts) and started cold (launcher.ts) capture output apart.
describe.each([
  ['forked warm', 'on'],
  ['started cold', 'off'],
])('completed output in the order it was written, actions %s', (_how, warmSpawn) => {
  beforeAll(async () => {
    stack = await startStack({
      packs: ['core', '../test/api/fixtures/output_order'],
      env: { PACKRUN_RESULT_INLINE_BYTES: String(inlineBytes), PACKRUN_OUTPUT_CAP: String(capBytes), PACKRUN_WARM_SPAWN: warmSpawn },
      listen: true,
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('interleaves small output kept in the record; each stream alone is still only that stream', async () => {
    const record = await takeTurns(turns(['out-1\n', 'err-1\n', 'out-2\n', 'err-2\n']));
    expect(record.result).toMatchObject({ stdout: 'out-1\nout-2\n', stderr: 'err-1\nerr-2\n' });
    expect(await output(record.id)).toBe('out-1\nerr-1\nout-2\nerr-2\n');
    expect(await output(record.id, 'all')).toBe('out-1\nerr-1\nout-2\nerr-2\n');
    expect(await output(record.id, 'stdout')).toBe('out-1\nout-2\n');
    expect(await output(record.id, 'stderr')).toBe('err-1\nerr-2\n');
  });

  it('sends a completed execution on its output stream in that order, each chunk tagged with its stream', async () => {
    const small = await takeTurns(turns(['out-1\n', 'err-1\n', 'out-2\n', 'err-2\n']));
    expect(await streamed(small.id)).toEqual([['stdout', 'out-1\n'], ['stderr', 'err-1\n'], ['stdout', 'out-2\n'], ['stderr', 'err-2\n']]);
    const big = await takeTurns(turns(['<o1>', '<e1>', '<o2>', '<e2>'], 750));
    expect(big.output_size).toEqual({ stdout: 6000, stderr: 6000 });
    const [o1, e1, o2, e2] = ['<o1>', '<e1>', '<o2>', '<e2>'].map((text) => text.repeat(750));
    expect(await streamed(big.id)).toEqual([['stdout', o1], ['stderr', e1], ['stdout', o2], ['stderr', e2]]);
    expect(await streamed(big.id, 'stderr')).toEqual([['stderr', `${e1}${e2}`]]);
  });

  it('interleaves output stored in blobs above the inline limit', async () => {
    const record = await takeTurns(turns(['<o1>', '<e1>', '<o2>', '<e2>'], 750));
    expect(record.output_size).toEqual({ stdout: 6000, stderr: 6000 });
    const stored = await stack.store.executions.get(record.id);
    expect(stored?.resultBlobs).toMatchObject({ stdout: expect.anything(), stderr: expect.anything() });
    const [o1, e1, o2, e2] = ['<o1>', '<e1>', '<o2>', '<e2>'].map((text) => text.repeat(750));
    expect(await output(record.id)).toBe(`${o1}${e1}${o2}${e2}`);
    expect(await output(record.id, 'stdout')).toBe(`${o1}${o2}`);
    expect(await output(record.id, 'stderr')).toBe(`${e1}${e2}`);
  });

  it('replays what the output cap kept, in order, and nothing past it', async () => {
    const record = await takeTurns([
      { stream: 'stdout', text: 'a', repeat: 6000 },
      { stream: 'stderr', text: 'B\n', repeat: 100 },
      { stream: 'stdout', text: 'c', repeat: 6000 },
      { stream: 'stderr', text: 'D\n', repeat: 100 },
      { stream: 'stdout', text: 'e', repeat: 10 },
    ]);
    expect(record.truncated).toEqual({ stdout: true, stderr: false });
    expect(record.output_size).toEqual({ stdout: capBytes, stderr: 400 });
    expect(await output(record.id)).toBe(`${'a'.repeat(6000)}${'B\n'.repeat(100)}${'c'.repeat(capBytes - 6000)}${'D\n'.repeat(100)}`);
  });

  it('keeps characters of several bytes whole across turns and at the cap', async () => {
    const record = await takeTurns([
      { stream: 'stdout', text: 'é' },
      // The first byte of ü, then stderr, then its second byte: ü comes out whole after stderr.
      { stream: 'stdout', hex: 'c3' },
      { stream: 'stderr', text: '日本\n' },
      { stream: 'stdout', hex: 'bc' },
      // Over the cap in the middle of a character: it is kept as U+FFFD, in its place.
      { stream: 'stdout', text: '語', repeat: 3000 },
      { stream: 'stderr', text: '…' },
      { stream: 'stdout', text: 'past the cap' },
    ]);
    const kept = Math.floor((capBytes - 4) / 3);
    const stdout = `éü${'語'.repeat(kept)}\uFFFD`;
    expect(await output(record.id, 'stdout')).toBe(stdout);
    expect(await output(record.id)).toBe(`é日本\nü${'語'.repeat(kept)}\uFFFD…`);
    expect(await streamed(record.id)).toEqual([['stdout', 'é'], ['stderr', '日本\n'], ['stdout', `ü${'語'.repeat(kept)}\uFFFD`], ['stderr', '…']]);
  });

  // The st2 CLI reads the same route as the cases above: once, with warm actions, is enough.
  it.skipIf(st2Missing !== undefined || warmSpawn === 'off')(`shows them interleaved in \`st2 execution tail\` of a completed execution${warmSpawn === 'off' ? ' (skipped here: checked with warm actions)' : st2Missing !== undefined ? ` (skipped: ${st2Missing})` : ''}`, async () => {
    const record = await takeTurns(turns(['out-1\n', 'err-1\n', 'out-2\n', 'err-2\n']));
    const user = st2User(users, { api: `${stack.api.url!}/api` });
    const tail = await user.run(['execution', 'tail', record.id], { ST2_API_KEY: stack.apiKey });
    expect(tail.code, `${tail.stdout}${tail.stderr}`).toBe(0);
    expect(tail.stdout).toContain(`out-1\nerr-1\nout-2\nerr-2\n\nExecution ${record.id} has completed (status=succeeded).`);
    const stderrOnly = await user.run(['execution', 'tail', record.id, '--type', 'stderr'], { ST2_API_KEY: stack.apiKey });
    expect(stderrOnly.stdout).toContain(`err-1\nerr-2\n\nExecution ${record.id} has completed`);
    expect(stderrOnly.stdout).not.toContain('out-1');
  });
});
