import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { tempDir, writePack } from './fixtures.ts';

const bin = path.join(repoRoot, 'packages/cli/bin/packrun.mjs');
const realUv = path.join(repoRoot, '.tools/py/bin/uv');

interface CliRun {
  stderr(): string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The real `packrun` bin, run from `cwd` (not the server's working folder) as a user would. */
function packrunIn(cwd: string, args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { stderr: () => stderr, done };
}

describe('packrun pack install ./x against a server elsewhere', () => {
  let root: string;
  let server: PackrunProcess;
  let serverHome: string;
  let remoteEnv: Record<string, string>;
  let api: Awaited<ReturnType<typeof apiAt>>;
  const gate = () => path.join(root, 'gate');

  beforeAll(async () => {
    root = await tempDir('remote-install');
    await chmod(root, 0o755);
    serverHome = path.join(root, 'server-home');
    // A stand-in for uv's `pip install` (PACKRUN_UV) that prints uv's verbose lines for one
    // package, then waits for the test's gate file; everything else is the real uv.
    const uv = path.join(root, 'uv');
    await writeFile(
      uv,
      `#!/bin/bash
req="\${@: -1}"
if [ "$1" = pip ] && [ "$2" = install ] && [[ "$req" == */env-*/requirements.txt ]]; then
  echo "DEBUG Selecting: gated==1.0 [compatible] (gated-1.0-py3-none-any.whl)" >&2
  echo "DEBUG Sending fresh GET request for: https://files.example/packages/gated-1.0-py3-none-any.whl" >&2
  while [ ! -e "${gate()}" ]; do sleep 0.05; done
  exit 0
fi
exec "${realUv}" "$@"
`,
    );
    await chmod(uv, 0o755);
    // The server runs in the test's working folder, the CLI in another. The sandbox layers are
    // off because the stand-in uv lives in a test folder bubblewrap would not show to the build.
    server = startPackrun(['up'], {
      PACKRUN_HOME: serverHome,
      PACKRUN_API_PORT: '0',
      PACKRUN_PYTHON: process.env['PACKRUN_PYTHON'] ?? 'python3',
      PACKRUN_UV: uv,
      PACKRUN_SANDBOX_BWRAP: 'off',
      PACKRUN_SANDBOX_SECCOMP: 'off',
      PACKRUN_SANDBOX_USER: 'off',
      PACKRUN_SANDBOX_CGROUPS: 'off',
    });
    await server.waitForOutput(/packrun is up/, 120_000);
    const { url } = JSON.parse(await readFile(path.join(serverHome, 'run', 'api.json'), 'utf8')) as { url: string };
    api = await apiAt(url, serverHome);
    // Another host as far as the CLI knows: its own PACKRUN_HOME, the server named by URL.
    remoteEnv = { PACKRUN_HOME: path.join(root, 'client-home'), PACKRUN_API_URL: url, PACKRUN_API_KEY: api.key };
  }, 180_000);
  afterAll(async () => {
    server?.signal('SIGTERM');
    await server?.exited;
    await rm(root, { recursive: true, force: true });
  });

  it('resolves ./x against the caller\'s folder for the server of its own PACKRUN_HOME', async () => {
    await writePack(path.join(root, 'here'), { ref: 'here', version: '1.0.0' });
    const result = await packrunIn(root, ['pack', 'install', './here'], { PACKRUN_HOME: serverHome }).done;
    expect(result.stderr).not.toContain('uploading');
    expect(result.code).toBe(0);
    const packs = await api.call<Array<{ ref: string; source?: string }>>('GET', '/api/v1/packs');
    expect(packs.body.find((pack) => pack.ref === 'here')).toBeDefined();
  }, 120_000);

  it('uploads ./x to a server named by PACKRUN_API_URL, and names the user\'s file in its errors', async () => {
    await writePack(path.join(root, 'far'), { ref: 'far', version: '1.0.0' });
    const result = await packrunIn(root, ['pack', 'install', './far'], remoteEnv).done;
    expect(result.stderr).toContain('uploading ./far to ');
    expect(result.stderr).toContain('unpacking ./far (uploaded)');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('installed far 1.0.0');
    // One install per upload: nothing waits in the server's uploads folder.
    expect(await readdir(path.join(serverHome, 'uploads'))).toEqual([]);

    await mkdir(path.join(root, 'bad'));
    await writeFile(path.join(root, 'bad', 'pack.yaml'), 'name: bad\nversion: [1\n');
    const failed = await packrunIn(root, ['pack', 'install', './bad'], remoteEnv).done;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error [PACK_INVALID]: ./bad/pack.yaml: invalid YAML');
    expect(failed.stderr.split('bad/pack.yaml').length - 1).toBe(1);
    expect(failed.stderr).not.toContain('staging');
  }, 120_000);

  it('streams the env build\'s progress, a line per package, to the CLI and the execution output before the install ends', async () => {
    await writePack(path.join(root, 'gated'), { ref: 'gated', version: '1.0.0', requirements: 'gated==1.0\n', files: { 'actions/a.py': 'print(1)\n' } });
    const cli = packrunIn(root, ['pack', 'install', './gated'], remoteEnv);
    let exited = false;
    void cli.done.then(() => (exited = true));
    // The stand-in uv does not finish before the gate exists: these lines came during the build.
    await retryUntil(() => cli.stderr().includes('downloading gated-1.0-py3-none-any.whl'), { withinMs: 120_000, what: 'the CLI showing the download line' });
    expect(exited).toBe(false);
    expect(cli.stderr()).toContain('  resolved gated==1.0\n');
    const id = /\(execution ([0-9a-f]+)\)/.exec(cli.stderr())?.[1];
    const running = await api.call<{ status: string }>('GET', `/api/v1/executions/${id}`);
    expect(running.body.status).toBe('running');
    const output = await fetch(`${remoteEnv['PACKRUN_API_URL']}/api/v1/executions/${id}/output?output_type=stdout`, { headers: { 'x-api-key': api.key } });
    expect(await output.text()).toContain('  downloading gated-1.0-py3-none-any.whl');
    await writeFile(gate(), '');
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('installed gated 1.0.0');
  }, 180_000);
});
