import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { nodeSensorPack, realPython, writePack } from './sensor-fixtures.ts';

/**
 * `packrun up` as its own process, driven by the `packrun rule|sensor|trigger` commands as a user
 * would: a Node sensor pack installed through the API, a rule created from a file, a trigger fired
 * by hand, and the sensors' state.
 */
const run = promisify(execFile);
let up: PackrunProcess;
let env: Record<string, string>;
let packDir: string;
let home: string;
let api: Awaited<ReturnType<typeof apiAt>>;

/** Polls the API (cheaper than a CLI process per try) until the sensor has this status. */
async function sensorStatus(ref: string, status: string): Promise<void> {
  let last: unknown;
  await retryUntil(async () => {
    last = (await api.call<{ status: string }>('GET', `/api/v1/sensortypes/${ref}`)).body;
    return (last as { status?: string } | undefined)?.status === status;
  }, { what: `${ref} ${status}`, withinMs: 40_000 }).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
}

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'packages/cli/bin/packrun.mjs'), ...args], { env });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

beforeAll(async () => {
  packDir = await writePack(nodeSensorPack('1.0.0'));
  home = `${packDir}-home`;
  const port = await freePort();
  env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    PACKRUN_HOME: home,
    PACKRUN_PYTHON: realPython(),
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
    PACKRUN_SENSOR_BACKOFF_INITIAL: '0.2',
    PACKRUN_SENSOR_FAILING_AFTER: '2',
    PACKRUN_SENSOR_REFRESH: '0.3',
  };
  up = startPackrun(['up'], env);
  await up.waitForOutput(/packrun is up/, 110_000);
  api = await apiAt(env['PACKRUN_API_URL']!, home);
  for (const source of [path.join(repoRoot, 'packs/core'), packDir]) {
    const install = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [source] });
    await retryUntil(async () => (await api.call<{ status: string }>('GET', `/api/v1/executions/${install.body.execution_id}`)).body.status === 'succeeded', {
      what: `install of ${source}`,
      withinMs: 60_000,
    });
  }
}, 120_000);

afterAll(async () => {
  up?.signal('SIGTERM');
  await up?.exited;
  for (const dir of [home, packDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('packrun rule, sensor and trigger commands', () => {
  it('list the sensors of an installed pack with their state', async () => {
    await sensorStatus('nodesense.Emitter', 'running');
    await sensorStatus('nodesense.Crasher', 'failing');
    expect((await cli('sensor', 'list')).stdout).toMatch(/nodesense\.Emitter\s+enabled\s+running/);
    const crasher = (await cli('sensor', 'get', 'nodesense.Crasher')).stdout;
    expect(crasher).toMatch(/last error: exited with code 3/);
    // Looked at between two crashes or during a backoff, the failed run's lines are there.
    expect(crasher).toMatch(/last stderr lines before that error:\n(.*\n)*\s+boom: the upstream is gone/);
  });

  it('create a rule from a file, fire its trigger by hand, and see the enforcement and the execution', async () => {
    const file = path.join(packDir, 'fire-rule.yaml');
    await writeFile(
      file,
      [
        'name: on_manual_tick',
        'enabled: true',
        'trigger: {type: nodesense.tick}',
        'criteria:',
        '  trigger.n: {type: lt, pattern: 0}',
        'action:',
        '  ref: core.local',
        '  parameters: {cmd: "echo manual {{ trigger.n }}"}',
      ].join('\n'),
    );
    const created = await cli('rule', 'create', file, '--pack', 'cli');
    expect(created.stdout).toMatch(/ref: cli\.on_manual_tick/);
    expect((await cli('rule', 'list')).stdout).toMatch(/cli\.on_manual_tick\s+enabled\s+nodesense\.tick\s+core\.local/);
    expect((await cli('trigger', 'types')).stdout).toMatch(/nodesense\.tick/);

    const fired = await cli('trigger', 'fire', 'nodesense.tick', '{"n": -7}');
    const id = fired.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    await retryUntil(async () => (await api.call<unknown[]>('GET', `/api/v1/ruleenforcements?trigger_instance=${id}`)).body.length === 1, { what: 'the enforcement' });
    const shown = (await cli('trigger', 'instance', id)).stdout;
    // A rule's execution is named after the trigger instance and the rule (enforcementExecutionId).
    expect(shown).toMatch(/rule cli\.on_manual_tick: execution rule-[0-9a-f]{40}/);
    const execution = /execution (rule-[0-9a-f]{40})/.exec(shown)![1]!;
    await retryUntil(async () => (await api.call<{ status: string }>('GET', `/api/v1/executions/${execution}`)).body.status === 'succeeded', { what: 'the execution' });
    expect((await cli('execution', 'get', execution)).stdout).toMatch(/manual -7/);
    expect((await cli('rule', 'enforcements', '--rule', 'cli.on_manual_tick')).stdout).toMatch(new RegExp(`execution ${execution}`));

    const bad = await cli('trigger', 'fire', 'nodesense.tick', '{"n": "x"}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/TRIGGER_PAYLOAD_INVALID/);
    expect((await cli('rule', 'disable', 'cli.on_manual_tick')).stdout).toMatch(/disabled/);
    expect((await cli('rule', 'delete', 'cli.on_manual_tick')).stdout).toMatch(/deleted/);
    expect((await cli('rule', 'get', 'cli.on_manual_tick')).stderr).toMatch(/RULE_NOT_FOUND/);
  });

  it('disable, enable and restart a sensor', async () => {
    const before = /pid: (\d+)/.exec((await cli('sensor', 'get', 'nodesense.Emitter')).stdout)?.[1];
    expect((await cli('sensor', 'restart', 'nodesense.Emitter')).stdout).toMatch(/running/);
    const after = /pid: (\d+)/.exec((await cli('sensor', 'get', 'nodesense.Emitter')).stdout)?.[1];
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await cli('sensor', 'disable', 'nodesense.Emitter')).stdout).toMatch(/disabled\s+stopped/);
    expect((await cli('sensor', 'enable', 'nodesense.Emitter')).stdout).toMatch(/enabled/);
    await sensorStatus('nodesense.Emitter', 'running');
  });
});
