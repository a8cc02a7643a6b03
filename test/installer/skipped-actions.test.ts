import { mkdtemp, rm } from 'node:fs/promises';
import type { St2Execution } from '@packrun/core';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { realPython } from '../runner/fixtures.ts';

/**
 * A pack whose actions use runners Packrun lacks installs, and says which actions were skipped
 * and why; running one says its runner is missing (ACTION_RUNNER_MISSING), never that the action
 * does not exist.
 */
const halfway = path.join(import.meta.dirname, 'packs/halfway');
const nothingRuns = path.join(import.meta.dirname, 'packs/nothing_runs');
let scratch: string;
let env: Record<string, string>;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-skipped-'));
  // No server runs on this home: the CLI installs and runs in its own process.
  env = { PACKRUN_HOME: path.join(scratch, 'home'), PACKRUN_PYTHON: realPython() };
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('packrun pack install (no server)', () => {
  it('lists each skipped action with its reason, file and field, and counts what runs', async () => {
    const install = await runPackrunCli(['pack', 'install', halfway, nothingRuns], env);
    expect(install.code).toBe(0);
    expect(install.stderr).toContain('action halfway.winrm skipped: runner "winrm-cmd" (StackStorm\'s WinRM runner) is not available in Packrun (actions/winrm.yaml field "runner_type", ACTION_RUNNER_MISSING)');
    expect(install.stderr).toContain('action halfway.flow skipped: runner "mistral-v2" (the Mistral workflow runner, removed from StackStorm in 3.3) is not available in Packrun (actions/flow.yaml field "runner_type", ACTION_RUNNER_MISSING)');
    expect(install.stderr).toMatch(/action actions\/broken.yaml skipped: unknown type "int" .* \(actions\/broken.yaml field "parameters.count.type", ACTION_INVALID\)/);
    expect(install.stderr).toContain('pack nothing_runs has no runnable action (2 skipped, 0 disabled)');
    expect(install.stdout).toContain('installed halfway 1.0.0 (no env): 1 of 4 actions runnable (3 skipped)\n');
    expect(install.stdout).toContain('installed nothing_runs 1.0.0 (no env): no runnable action: 0 of 2 actions runnable (2 skipped)\n');
  });

  it('says the runner is missing when a skipped action is run, and still runs the rest of the pack', async () => {
    const winrm = await runPackrunCli(['run', 'halfway.winrm', 'command=uptime'], env);
    expect(winrm.code).not.toBe(0);
    expect(winrm.stderr).toContain('ACTION_RUNNER_MISSING');
    expect(winrm.stderr).toContain('runner "winrm-cmd" (StackStorm\'s WinRM runner) is not available in Packrun');
    expect(winrm.stderr).not.toContain('ACTION_NOT_FOUND');
    const works = await runPackrunCli(['run', 'halfway.works', '--json'], env);
    expect(JSON.parse(works.stdout)).toMatchObject({ status: 'succeeded', result: { stdout: 'it works' } });
    // The broken file named no action Packrun could register: that one is not found.
    expect((await runPackrunCli(['run', 'halfway.broken'], env)).stderr).toContain('ACTION_NOT_FOUND');
  });

  it('shows skipped actions in action list and action get', async () => {
    const list = await runPackrunCli(['action', 'list', '--pack', 'halfway'], env);
    expect(list.stdout).toMatch(/halfway\.winrm\s+winrm-cmd \(missing\)/);
    const get = await runPackrunCli(['action', 'get', 'halfway.winrm'], env);
    expect(get.stdout).toContain('cannot run (ACTION_RUNNER_MISSING): actions/winrm.yaml: runner "winrm-cmd"');
  });
});

describe('the API', () => {
  let stack: ServiceStack;

  beforeAll(async () => {
    stack = await startStack({ packs: ['core'] });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('lists skipped actions in the packs.install output and result, registers them as unavailable, and refuses to run them with ACTION_RUNNER_MISSING', async () => {
    const started = await stack.call('POST', '/api/v1/packs/install', { packs: [halfway, nothingRuns] });
    expect(started.statusCode).toBe(202);
    let done: St2Execution | undefined;
    await retryUntil(async () => {
      done = (await stack.call('GET', `/api/v1/executions/${started.json<{ execution_id: string }>().execution_id}`)).json<St2Execution>();
      return done.status === 'succeeded' || done.status === 'failed';
    }, { what: 'the install', withinMs: 60_000 });
    expect(done!.status).toBe('succeeded');
    const output = String(done!.result?.['stdout']);
    expect(output).toContain('action halfway.winrm skipped: runner "winrm-cmd" (StackStorm\'s WinRM runner) is not available in Packrun (actions/winrm.yaml field "runner_type", ACTION_RUNNER_MISSING)');
    expect(output).toContain('field "parameters.count.type", ACTION_INVALID');
    expect(output).toContain('halfway 1.0.0: 1 of 4 actions runnable (3 skipped)');
    expect(output).toContain('nothing_runs 1.0.0: no runnable action: 0 of 2 actions runnable (2 skipped)');
    expect(done!.result?.['actions']).toMatchObject({
      halfway: { runnable: ['halfway.works'], skipped: expect.arrayContaining([expect.objectContaining({ ref: 'halfway.winrm', code: 'ACTION_RUNNER_MISSING', field: 'runner_type' })]) },
      nothing_runs: { runnable: [] },
    });

    const action = await stack.call('GET', '/api/v1/actions/halfway.winrm');
    expect(action.statusCode).toBe(200);
    expect(action.json()).toMatchObject({ ref: 'halfway.winrm', runner_type: 'winrm-cmd', unavailable: { code: 'ACTION_RUNNER_MISSING', runner: 'winrm-cmd' } });
    const run = await stack.call('POST', '/api/v1/executions', { action: 'halfway.winrm', parameters: { command: 'uptime' } });
    expect(run.statusCode).toBe(409);
    expect(run.json()).toMatchObject({ code: 'ACTION_RUNNER_MISSING', details: { action: 'halfway.winrm', runner: 'winrm-cmd' } });
    expect((await stack.call('GET', '/api/v1/actions/halfway.works')).json()).not.toHaveProperty('unavailable');
  });
});
