import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { tempDir, writePack } from '../installer/fixtures.ts';
import { realPython } from '../runner/fixtures.ts';

/**
 * A pack chooses its Python only through `python_versions`, which filters the interpreters the
 * operator configured (PACKRUN_PYTHON, PACKRUN_PACK_PYTHON) or the host has in fixed places
 * (PACKRUN_PYTHON_SEARCH). Nothing from pack.yaml may become a program the installer runs: before
 * this, pack.yaml's own `python` field named the interpreter, and the installer ran it as the
 * runtime's user, outside any sandbox, to ask its version.
 *
 * Each attack plants an "interpreter" that only leaves a marker file when run.
 */
let root: string;
let marker: string;

async function plantInterpreter(folder: string, name: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, name);
  await writeFile(file, `#!/bin/sh\necho "ran by the installer: $0 $*" >> ${marker}\nexit 1\n`);
  await chmod(file, 0o755);
  return file;
}

function config(env: Record<string, string> = {}) {
  return loadConfig({ PACKRUN_HOME: path.join(root, 'home'), PACKRUN_PYTHON: realPython(), ...env });
}

const action = { 'actions/run.py': 'print(1)\n' };

beforeAll(async () => {
  root = await tempDir('pack-python-attack');
  marker = path.join(root, 'interpreter-ran');
});

describe("a pack choosing the installer's interpreter", () => {
  it('cannot name one in pack.yaml: the `python` field is ignored, said so, and the configured interpreter builds the env', async () => {
    const evil = await plantInterpreter(path.join(root, 'outside'), 'python3');
    const dir = await writePack(path.join(root, 'src', 'names_python'), { ref: 'names_python', version: '1.0.0', extra: `python: ${evil}`, files: action });
    const result = await installPack(dir, { config: config() });
    expect(existsSync(marker)).toBe(false);
    expect(result.installed[0]?.env.interpreter).toMatchObject({ chosenBy: 'default' });
    expect(result.installed[0]?.env.interpreter?.executable).not.toBe(evil);
    expect(result.warnings.map((warning) => warning.message)).toContainEqual(expect.stringContaining('"python" is ignored'));
  });

  it.each([
    ['an absolute path', (evil: string) => evil],
    ['a relative path', () => '../outside/python3'],
    ['a command line', () => '3; touch /tmp/packrun-pwned'],
    ['a name to look up on PATH', () => 'python3-evil'],
  ])('cannot pass %s as a python_versions item: refused as not a version before anything runs', async (_label, item) => {
    const evil = await plantInterpreter(path.join(root, 'outside'), 'python3');
    const dir = await writePack(path.join(root, 'src', 'odd_versions'), { ref: 'odd_versions', version: '1.0.0', extra: `python_versions:\n  - ${JSON.stringify(item(evil))}`, files: action });
    await expect(installPack(dir, { config: config() })).rejects.toMatchObject({ code: 'PACK_INVALID', details: { field: 'python_versions.0' } });
    expect(existsSync(marker)).toBe(false);
  });

  it('cannot get an interpreter it ships picked by discovery, whatever version it asks for', async () => {
    const dir = path.join(root, 'src', 'ships_python');
    // Named as discovery names interpreters, in the pack and in a bin/ folder of its own.
    await plantInterpreter(path.join(dir, 'bin'), 'python3.9');
    await plantInterpreter(path.join(dir, 'actions'), 'pypy3.9');
    await writePack(dir, { ref: 'ships_python', version: '1.0.0', extra: 'python_versions:\n  - "3.9"', files: action });
    // Discovery on its defaults (uv, pyenv, /usr/bin, /usr/local/bin): this host's own 3.9 (PyPy,
    // or a pyenv CPython) may be chosen; the pack's never is.
    const outcome = await installPack(dir, { config: config({ PACKRUN_PYTHON_SEARCH: 'auto' }) }).then(
      (result) => ({ executable: result.installed[0]?.env.interpreter?.executable }),
      (error: unknown) => ({ error }),
    );
    expect(existsSync(marker)).toBe(false);
    if ('executable' in outcome) {
      expect(outcome.executable?.startsWith(`${dir}/`)).toBe(false);
      expect(outcome.executable?.startsWith(`${path.join(root, 'home')}/`)).toBe(false);
    } else {
      expect(outcome.error).toMatchObject({ code: 'PYTHON_VERSION_UNAVAILABLE' });
    }
  });

  it("cannot use another pack's operator override, nor anything once discovery is off", async () => {
    const dir = await writePack(path.join(root, 'src', 'wants_39'), { ref: 'wants_39', version: '1.0.0', extra: 'python_versions:\n  - "3.9"', files: action });
    const evil = await plantInterpreter(path.join(root, 'operator'), 'python3.9');
    // The operator set an interpreter for another pack only, and turned discovery off.
    const error = await installPack(dir, { config: config({ PACKRUN_PYTHON_SEARCH: 'off', PACKRUN_PACK_PYTHON: `other_pack=${evil}` }) }).then(() => undefined, (caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PYTHON_VERSION_UNAVAILABLE' });
    expect(existsSync(marker)).toBe(false);
  });
});
