import { spawn } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPack, type InstallProgressEvent } from '@packrun/pack-installer';
import { repoRoot } from '../runner/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { installerConfig, tempDir, writePack } from './fixtures.ts';

const bin = path.join(repoRoot, 'packages/cli/bin/packrun.mjs');
const realUv = path.join(repoRoot, '.tools/py/bin/uv');

/** The real `packrun` bin, run from `cwd` as a user would, so relative paths are theirs. */
function packrunIn(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

/**
 * A stand-in for uv (PACKRUN_UV) for what the test must control: `uv pip install` prints uv's
 * verbose lines for one package, then waits for the gate file (or fails, with FAIL in the
 * requirements); every other call is the real uv.
 */
async function fakeUv(dir: string, gate: string): Promise<string> {
  const file = path.join(dir, 'uv');
  await writeFile(
    file,
    `#!/bin/bash
req="\${@: -1}"
if [ "$1" = pip ] && [ "$2" = install ] && [[ "$req" == */env-*/requirements.txt ]]; then
  if grep -q FAIL "$req"; then echo "  × No solution found when resolving dependencies: gated-broken was not found in the package registry" >&2; exit 1; fi
  echo "DEBUG uv 0.9.30" >&2
  echo "DEBUG Selecting: gated==1.0 [compatible] (gated-1.0-py3-none-any.whl)" >&2
  echo "DEBUG Sending fresh GET request for: https://files.example/packages/gated-1.0-py3-none-any.whl" >&2
  while [ ! -e "${gate}" ]; do sleep 0.05; done
  echo "Installed 1 package in 1ms" >&2
  exit 0
fi
exec "${realUv}" "$@"
`,
  );
  await chmod(file, 0o755);
  return file;
}

describe('pack install errors and progress in the user\'s terms', () => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await tempDir('user-paths');
    await chmod(root, 0o755);
    env = { PACKRUN_HOME: path.join(root, 'home'), PACKRUN_PYTHON: process.env['PACKRUN_PYTHON'] ?? 'python3' };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names ./broken/pack.yaml, as the user gave it, exactly once for a YAML error, never the staged copy', async () => {
    await mkdir(path.join(root, 'broken'));
    await writeFile(path.join(root, 'broken', 'pack.yaml'), 'name: broken\nversion: 0.1.0\ndescription: x\nauthor: [a\n');
    const result = await packrunIn(root, ['pack', 'install', './broken'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [PACK_INVALID]: ./broken/pack.yaml: invalid YAML');
    expect(occurrences(result.stderr, 'broken/pack.yaml')).toBe(1);
    expect(result.stderr).not.toContain('staging');
    expect(result.stderr).not.toContain(root);
    // Progress lines say the source once each.
    expect(result.stderr).toContain('resolving ./broken (wanted by the command line)\nfetching ./broken\n');
  }, 120_000);

  it('names a broken action file once in its warning', async () => {
    const dir = await writePack(path.join(root, 'warned'), { ref: 'warned', version: '1.0.0', files: { 'actions/add.yaml': 'name: add\nrunner_type: local-shell-cmd\nparameters:\n  a: {type: integr}\n' } });
    const result = await packrunIn(root, ['pack', 'install', dir], env);
    expect(result.code).toBe(0);
    const warning = result.stderr.split('\n').find((line) => line.includes('actions/add.yaml'));
    expect(warning).toMatch(/warning: action in actions\/add\.yaml skipped: unknown type "integr"/);
    expect(occurrences(warning ?? '', 'actions/add.yaml')).toBe(1);
  }, 120_000);

  it('says which Python an env build failed with and how to choose another; the tool\'s error once, no uv command line', async () => {
    const gate = path.join(root, 'gate-never');
    const uv = await fakeUv(await tempDir('fake-uv').then(async (dir) => (await chmod(dir, 0o755), dir)), gate);
    await writePack(path.join(root, 'needy'), { ref: 'needy', version: '1.0.0', requirements: 'FAIL==1.0\n', files: { 'actions/a.py': 'print(1)\n' } });
    // The sandbox layers are off: the stand-in uv lives in a test folder bubblewrap would not show.
    const result = await packrunIn(root, ['pack', 'install', './needy'], { ...env, PACKRUN_UV: uv, PACKRUN_SANDBOX_BWRAP: 'off', PACKRUN_SANDBOX_SECCOMP: 'off', PACKRUN_SANDBOX_USER: 'off', PACKRUN_SANDBOX_CGROUPS: 'off' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error \[PACK_ENV_BUILD_FAILED\]: building the Python environment of pack "needy" \((CPython|PyPy) 3\.\d+\.\d+, [^)]*\) failed: uv pip install -r requirements\.txt exited with code 1/);
    expect(result.stderr).toMatch(/hint: .*python_versions.*PACKRUN_PACK_PYTHON=needy=/);
    expect(occurrences(result.stderr, 'gated-broken was not found')).toBe(1);
    expect(result.stderr).not.toContain('--compile-bytecode');
    expect(result.stderr).not.toContain('staging');
  }, 180_000);

  it('reports uv\'s progress a line per package while the install is still running', async () => {
    const gate = path.join(root, 'gate');
    const uv = await fakeUv(await tempDir('fake-uv'), gate);
    const dir = await writePack(path.join(root, 'gated'), { ref: 'gated', version: '1.0.0', requirements: 'gated==1.0\n', files: { 'actions/a.py': 'print(1)\n' } });
    const events: InstallProgressEvent[] = [];
    let finished = false;
    const install = installPack(dir, { config: installerConfig(path.join(root, 'home-direct'), { PACKRUN_UV: uv }), onProgress: (event) => events.push(event) }).finally(() => (finished = true));
    // The stand-in uv cannot finish before the gate exists: these lines arrived during the build.
    await retryUntil(() => events.some((event) => event.output === 'downloading gated-1.0-py3-none-any.whl'), { withinMs: 120_000, what: 'the download progress line' });
    expect(finished).toBe(false);
    expect(events.map((event) => event.output).filter(Boolean)).toEqual(['resolved gated==1.0', 'downloading gated-1.0-py3-none-any.whl']);
    await writeFile(gate, '');
    const result = await install;
    expect(result.installed.map((pack) => pack.ref)).toEqual(['gated']);
    expect(events.map((event) => event.output).filter(Boolean)).toContain('Installed 1 package in 1ms');
  }, 180_000);
});
