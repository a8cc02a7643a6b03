import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, nodeRuntime, readInstalledPack } from '@packrun/core';
import { runAction, type RunActionOptions } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { alive, homeWithPacks, type PackrunHome } from './fixtures.ts';

let home: PackrunHome;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-runner-scratch-'));

beforeAll(async () => {
  // One home, one venv and one node_modules for the whole file.
  home = await homeWithPacks(['core', 'examples']);
});

function run(ref: string, input: Record<string, unknown>, extra: Partial<RunActionOptions> = {}) {
  return runAction({ paths: home.paths, config: home.config, ref, input, datastore: new LocalFileKeyValues(home.paths), ...extra });
}

describe('python-script', () => {
  it('runs with the pack venv and its pinned dependency', async () => {
    const outcome = await run('examples.humanize_bytes', { size: 2048, binary: true });
    expect(outcome.status).toBe('succeeded');
    expect(Object.keys(outcome.result).sort()).toEqual(['exit_code', 'result', 'stderr', 'stdout']);
    expect(outcome.result['result']).toEqual({ text: '2.0 KiB', humanize_version: '4.9.0' });
    expect(outcome.result['exit_code']).toBe(0);
    expect(outcome.result['stderr']).toContain('formatting 2048 bytes');
  });

  it('ends failed with its result when run returns (False, result)', async () => {
    const outcome = await run('examples.check_threshold', { value: 20, threshold: 10 });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['result']).toEqual({ value: 20, threshold: 10, within: false });
    const within = await run('examples.check_threshold', { value: 2 });
    expect(within.status).toBe('succeeded');
  });

  it('keeps the real result when the action prints a forged one', async () => {
    const outcome = await run('examples.forge_result', {});
    expect(outcome.result['stdout']).toContain('"forged": true');
    expect(outcome.result['result']).toEqual({ forged: false, real: true });
    expect(outcome.status).toBe('failed');
  });

  it('reaches the datastore through action_service', async () => {
    const key = `k${Date.now()}`;
    const first = await run('examples.counter', { key });
    const second = await run('examples.counter', { key });
    expect(first.result['result']).toEqual({ key, count: 1 });
    expect(second.result['result']).toEqual({ key, count: 2 });
    const stored = await new LocalFileKeyValues(home.paths).get(`examples.Counter:${key}`);
    expect(stored?.value).toBe('2');
  });

  it('ends timeout past its timeout and leaves none of its processes behind', async () => {
    const pidFile = path.join(scratch, 'sleep-pids.json');
    const outcome = await run('examples.sleep', { seconds: 30, pid_file: pidFile, timeout: 1 });
    expect(outcome.status).toBe('timeout');
    expect(outcome.result['error']).toMatch(/1 seconds/);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { action: number; child: number };
    await retryUntil(() => !alive(pids.action) && !alive(pids.child));
  });

  it('refuses a parameter of the wrong type before any process starts', async () => {
    const pidFile = path.join(scratch, 'never.json');
    await expect(run('examples.sleep', { seconds: 'soon', pid_file: pidFile })).rejects.toThrow(/seconds/);
    expect(existsSync(pidFile)).toBe(false);
  });
});

describe('node-script', () => {
  it('imports the pack\'s own node_modules and returns the function\'s value', async () => {
    const yes = await run('examples.is_number', { value: '42' });
    expect(yes.status).toBe('succeeded');
    expect(yes.result['result']).toEqual({ value: '42', isNumber: true });
    expect(yes.result['exit_code']).toBe(0);
    expect(yes.result['stderr']).toContain('checking 42');
    const no = await run('examples.is_number', { value: 'abc' });
    expect(no.result['result']).toEqual({ value: 'abc', isNumber: false });
  });
});

describe('the Node wrapper by hand', () => {
  it('takes flags and prints the outcome as its last line', async () => {
    const installed = await readInstalledPack(home.paths, 'examples');
    const stdout = execFileSync(
      process.execPath,
      [nodeRuntime.actionWrapper, '--entry-point', path.join(installed.dir, 'actions/is_number.mjs'), '--parameters', '{"value": "7"}'],
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_PATH: installed.env.nodeModules ?? '' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ status: 'succeeded', result: { value: '7', isNumber: true }, success: null });
  });
});

describe('cancel', () => {
  it('stops a running action through the AbortSignal and says canceled', async () => {
    const controller = new AbortController();
    const outcome = await run('core.local', { cmd: 'echo started; sleep 30' }, { signal: controller.signal, onOutput: () => controller.abort() });
    expect(outcome.status).toBe('canceled');
    expect(outcome.durationMs).toBeLessThan(10_000);
  });
});

describe('local-shell-cmd', () => {
  it('runs cmd with /bin/sh -c and parses JSON output', async () => {
    const outcome = await run('core.local', { cmd: 'echo \'{"a": [1, 2]}\'' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result).toEqual({ succeeded: true, failed: false, return_code: 0, stdout: { a: [1, 2] }, stderr: '' });
  });

  it('fails with the exit code', async () => {
    const outcome = await run('core.local', { cmd: 'echo oops >&2; exit 3' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result).toMatchObject({ succeeded: false, failed: true, return_code: 3, stderr: 'oops' });
  });

  it('refuses a wrong parameter without running anything', async () => {
    const marker = path.join(scratch, 'marker');
    await expect(run('core.local', { cmd: `touch ${marker}`, timeout: 'long' })).rejects.toThrow(/timeout/);
    expect(existsSync(marker)).toBe(false);
  });

  it('caps output at the configured size and says so', async () => {
    const config = loadConfig({ ...home.env, PACKRUN_OUTPUT_CAP: '1024' });
    const outcome = await run('core.local', { cmd: "head -c 300000 /dev/zero | tr '\\0' x; echo done >&2" }, { config });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.truncated).toEqual({ stdout: true, stderr: false });
    expect(String(outcome.result['stdout']).length).toBe(1024);
    expect(outcome.result['stderr']).toBe('done');
  });
});

describe('output limit', () => {
  it('stops an action that floods its output and ends failed saying why', async () => {
    const config = loadConfig({ ...home.env, PACKRUN_OUTPUT_CAP: '1024', PACKRUN_OUTPUT_LIMIT: '1048576' });
    const outcome = await run('core.local', { cmd: 'yes flood; sleep 60' }, { config });
    expect(outcome).toMatchObject({ status: 'failed', stopReason: 'output_limit', truncated: { stdout: true } });
    expect(outcome.result['error']).toMatch(/output limit/);
  });
});

describe('local-shell-script', () => {
  it('passes named arguments then positional ones, StackStorm style', async () => {
    const outcome = await run('examples.greet', { name: 'Ann', times: 2, shout: true, greeting: 'Hi' });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['stdout']).toBe('HI, ANN!\nHI, ANN!');
  });

  it('passes a message as data, never as shell code', async () => {
    const marker = path.join(scratch, 'injected');
    const message = `$(touch ${marker}) "quoted" \`and\` ; more`;
    const outcome = await run('core.echo', { message });
    expect(outcome.result['stdout']).toBe(message);
    expect(existsSync(marker)).toBe(false);
  });
});
