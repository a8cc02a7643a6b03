import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, type St2Execution } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';

/**
 * `packrun execution tail` of an execution that completed before it was asked prints the stored
 * output from the output stream's catch-up: stdout and stderr in the order the action wrote
 * them, each chunk on its own stream; with no server running, the CLI reads the same from the
 * store. The real CLI in its own process, against a listening API, then alone.
 */
let stack: ServiceStack;
let cli: Record<string, string>;
let id: string;

beforeAll(async () => {
  stack = await startStack({ packs: ['core'], listen: true });
  // The API records its address in PACKRUN_HOME: the CLI goes through it with the stack's key.
  cli = { ...stack.home.env, PACKRUN_API_KEY: stack.apiKey };
  const created = await stack.call('POST', '/api/v1/executions', {
    action: 'core.local',
    // stdout and stderr are two pipes: only time orders them for the runner.
    parameters: { cmd: 'echo out-1; sleep 0.2; echo err-1 >&2; sleep 0.2; echo out-2; sleep 0.2; echo err-2 >&2' },
  });
  expect(created.statusCode, created.body).toBe(201);
  id = created.json<St2Execution>().id;
  await retryUntil(async () => isCompleted((await stack.store.executions.get(id))?.status ?? 'requested'), { withinMs: 60_000, what: `${id} done` });
  expect((await stack.store.executions.get(id))?.outputRuns).toBeDefined();
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

describe('packrun execution tail of a completed execution', () => {
  it('prints its output events in the order written, each tagged with its stream (--json)', async () => {
    const tail = await runPackrunCli(['execution', 'tail', id, '--json'], cli);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ id, status: 'succeeded' });
    const tagged: Array<[unknown, string]> = [];
    for (const event of lines.slice(0, -1)) {
      expect(event['execution_id']).toBe(id);
      const last = tagged.at(-1);
      if (last !== undefined && last[0] === event['output_type']) last[1] += String(event['data']);
      else tagged.push([event['output_type'], String(event['data'])]);
    }
    // The shell runners keep the output without its last newline, as StackStorm's do.
    expect(tagged).toEqual([['stdout', 'out-1\n'], ['stderr', 'err-1\n'], ['stdout', 'out-2'], ['stderr', 'err-2']]);
  });

  it('writes each stream to its own file descriptor in that order: interleaved where both go to one place', async () => {
    const bin = path.join(repoRoot, 'packages/cli/bin/packrun.mjs');
    const child = spawn('sh', ['-c', `"${process.execPath}" "${bin}" execution tail ${id} 2>&1`], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...cli }, stdio: ['ignore', 'pipe', 'inherit'] });
    let both = '';
    child.stdout.on('data', (chunk: Buffer) => (both += chunk.toString()));
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    // Only the last line left open is ended, so that the status starts a line of its own.
    expect(both).toBe(`out-1\nerr-1\nout-2err-2\n${id}: succeeded\n`);
  });

  it('prints the same order from the store when no server runs', async () => {
    await stack.close();
    const tail = await runPackrunCli(['execution', 'tail', id, '--json'], stack.home.env);
    expect(tail.code, tail.stderr).toBe(0);
    const events = tail.stdout.trimEnd().split('\n').slice(0, -1).map((line) => JSON.parse(line) as { output_type: string; data: string });
    expect(events.map((event) => [event.output_type, event.data])).toEqual([['stdout', 'out-1\n'], ['stderr', 'err-1\n'], ['stdout', 'out-2'], ['stderr', 'err-2']]);
    const bin = path.join(repoRoot, 'packages/cli/bin/packrun.mjs');
    const child = spawn('sh', ['-c', `"${process.execPath}" "${bin}" execution tail ${id} 2>&1`], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...stack.home.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let both = '';
    child.stdout.on('data', (chunk: Buffer) => (both += chunk.toString()));
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    // The store knows where each stream ended: the newlines they lost come back there.
    expect(both).toBe(`out-1\nerr-1\nout-2\nerr-2\n${id}: succeeded\n`);
  });
});
