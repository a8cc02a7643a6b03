import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { testUidRange } from '../sandbox/sandbox-fixture.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { realPython, writePack } from '../sensors/sensor-fixtures.ts';
import { beforeTheBoundary, compilePreloadProbe, watchEnvironments, type PreloadProbe } from './security-fixtures.ts';

/**
 * The `env` runner parameter and pack defaults used to reach the processes that put a job in its
 * sandbox: /bin/sh (the prelude, as root), bubblewrap (root) and setpriv ran with the job's whole
 * environment, so an LD_PRELOAD given by a caller or a pack ran code as root on the host. Here a
 * real shared object leaves a trace wherever it is loaded, through `packrun up`'s API (warm
 * spawning on: the first shell execution of a pack starts cold, the next ones in a shim started
 * ahead) and the in-process `packrun run` (always cold). Loader variables are refused naming the
 * parameter and the variable; any other variable reaches the job and only the job.
 */
let probe: PreloadProbe;
let packDir: string;
let markPackDir: string;
let up: PackrunProcess | undefined;
let upHome: string;
let api: Awaited<ReturnType<typeof apiAt>>;
let baseEnv: Record<string, string>;

function envAttackPack(so: string): Record<string, string> {
  return {
    'pack.yaml': 'ref: envattack\nname: envattack\ndescription: env parameter attacks\nversion: 1.0.0\nauthor: tests\n',
    'actions/shell.yaml': 'name: shell\nrunner_type: local-shell-cmd\n',
    // The pack itself puts the loader variable in a default.
    'actions/preload_default.yaml': [
      'name: preload_default',
      'runner_type: local-shell-cmd',
      'parameters:',
      '  cmd: {default: "true"}',
      `  env: {default: {LD_PRELOAD: "${so}"}}`,
    ].join('\n'),
    'actions/report.yaml': 'name: report\nrunner_type: python-script\nentry_point: report.py\nparameters:\n  seconds: {type: number, default: 1}\n',
    // The variable shows in /proc only in a process started with it: the action's own child.
    'actions/report.py': [
      'import os, subprocess',
      'from st2common.runners.base_action import Action',
      'class Report(Action):',
      '    def run(self, seconds):',
      "        subprocess.run(['sleep', str(seconds)], check=True)",
      "        return os.environ.get('SECURITY_MARK')",
    ].join('\n'),
  };
}

/** A home the job uids can pass through (0711), as `packrun up` runs it as root. */
function sandboxedHome(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-security-env-'));
  chmodSync(home, 0o711);
  return home;
}

async function finished(id: string): Promise<{ status: string; result?: Record<string, unknown> }> {
  let record: { status: string; result?: Record<string, unknown> } = { status: 'requested' };
  await retryUntil(async () => {
    record = (await api.call<typeof record>('GET', `/api/v1/executions/${id}`)).body;
    return ['succeeded', 'failed', 'timeout', 'canceled', 'abandoned'].includes(record.status);
  }, { what: `execution ${id} to end`, withinMs: 60_000 });
  return record;
}

/** Requests an execution through the API; one the API accepted is waited for, so whatever it ran has left its trace. */
async function request(action: string, parameters: Record<string, unknown>) {
  const response = await api.call<{ id: string; code?: string; details?: Record<string, unknown> }>('POST', '/api/v1/executions', { action, parameters });
  const outcome = response.status === 201 ? await finished(response.body.id) : undefined;
  return { response, outcome };
}

beforeAll(async () => {
  probe = compilePreloadProbe();
  packDir = await writePack(envAttackPack(probe.so));
  markPackDir = await writePack({
    'pack.yaml': 'ref: envmark\nname: envmark\ndescription: a variable for the job\nversion: 1.0.0\nauthor: tests\n',
    'actions/shell.yaml': 'name: shell\nrunner_type: local-shell-cmd\n',
  });
  for (const dir of [packDir, markPackDir]) chmodSync(dir, 0o755);
  baseEnv = { PACKRUN_PYTHON: realPython(), ...testUidRange() };
  upHome = sandboxedHome();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  up = startPackrun(['up'], { ...baseEnv, PACKRUN_HOME: upHome, PACKRUN_API_PORT: String(port), PACKRUN_API_URL: url });
  await up.waitForOutput(/packrun is up/, 110_000);
  api = await apiAt(url, upHome);
  for (const source of [packDir, markPackDir]) {
    const install = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [source] });
    expect((await finished(install.body.execution_id)).status).toBe('succeeded');
  }
}, 180_000);

afterAll(async () => {
  up?.signal('SIGTERM');
  await up?.exited;
  for (const dir of [upHome, packDir, markPackDir, path.dirname(probe?.so ?? '/nonexistent/x')]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("packrun up's API", () => {
  // A pack of its own: its first shell job starts cold, the second finds a shim started ahead.
  it('hands any other variable to the job alone, cold and in a shim started ahead, never to a process that sets the sandbox up', async () => {
    for (const round of [1, 2]) {
      const mark = `mark-${round}-${Math.random().toString(36).slice(2)}`;
      const { value, seen } = await watchEnvironments(`SECURITY_MARK=${mark}`, request('envmark.shell', { cmd: 'sleep 1; echo "$SECURITY_MARK"', env: { SECURITY_MARK: mark } }));
      expect(value.response.status).toBe(201);
      expect(value.outcome).toMatchObject({ status: 'succeeded', result: { stdout: mark } });
      expect(seen.length).toBeGreaterThan(0);
      expect(beforeTheBoundary(seen)).toEqual([]);
    }
  });

  it('hands a variable to a Python action forked from its zygote, never to the zygote', async () => {
    const mark = `mark-zygote-${Math.random().toString(36).slice(2)}`;
    const { value, seen } = await watchEnvironments(`SECURITY_MARK=${mark}`, request('envattack.report', { env: { SECURITY_MARK: mark } }));
    expect(value.outcome).toMatchObject({ status: 'succeeded', result: { result: mark } });
    expect(seen.length).toBeGreaterThan(0);
    expect(beforeTheBoundary(seen)).toEqual([]);
    expect(seen.filter((process) => process.exe.includes('python'))).toEqual([]);
  });

  it('refuses LD_PRELOAD given by a caller, naming the parameter and the variable, and nothing loads it as root', async () => {
    const { response } = await request('envattack.shell', { cmd: 'true', env: { LD_PRELOAD: probe.so } });
    expect(probe.rootLoads()).toEqual([]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'env', variable: 'LD_PRELOAD' } });
  });

  it('refuses LD_PRELOAD given by a pack default, and nothing loads it as root', async () => {
    const { response } = await request('envattack.preload_default', {});
    expect(probe.rootLoads()).toEqual([]);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'env', variable: 'LD_PRELOAD' } });
  });

  it.each([
    ['PYTHONSTARTUP', '/tmp/startup.py'],
    ['NODE_OPTIONS', '--require /tmp/x.js'],
    ['BASH_ENV', '/tmp/x.sh'],
  ])('refuses %s, naming the parameter', async (variable, value) => {
    const { response } = await request('envattack.shell', { cmd: 'true', env: { [variable]: value } });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'env', variable } });
    expect((response.body as { message?: string }).message).toContain(`parameter "env"`);
  });

});

describe('the in-process packrun run', () => {
  let home: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    home = sandboxedHome();
    // No server runs on this home: `packrun run` runs the action in its own process.
    env = { ...baseEnv, PACKRUN_HOME: home };
    const install = await runPackrunCli(['pack', 'install', packDir], env);
    expect(install.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('refuses LD_PRELOAD given by the caller, naming the parameter and the variable, and nothing loads it as root', async () => {
    const run = await runPackrunCli(['run', 'envattack.shell', 'cmd=true', `env={"LD_PRELOAD": "${probe.so}"}`], env);
    expect(probe.rootLoads()).toEqual([]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PARAMETER_INVALID');
    expect(run.stderr).toContain('parameter "env"');
    expect(run.stderr).toContain('LD_PRELOAD');
  });

  it('refuses LD_PRELOAD given by a pack default, and nothing loads it as root', async () => {
    const run = await runPackrunCli(['run', 'envattack.preload_default'], env);
    expect(probe.rootLoads()).toEqual([]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PARAMETER_INVALID');
    expect(run.stderr).toContain('LD_PRELOAD');
  });

  it('hands a variable to a Python action inside its sandbox, never to a process that sets the sandbox up', async () => {
    const mark = `mark-py-${Math.random().toString(36).slice(2)}`;
    const { value, seen } = await watchEnvironments(`SECURITY_MARK=${mark}`, runPackrunCli(['run', 'envattack.report', `env={"SECURITY_MARK": "${mark}"}`, '--json'], env));
    expect(value.code).toBe(0);
    expect(JSON.parse(value.stdout)).toMatchObject({ status: 'succeeded', result: { result: mark } });
    expect(seen.length).toBeGreaterThan(0);
    expect(beforeTheBoundary(seen)).toEqual([]);
  });
});
