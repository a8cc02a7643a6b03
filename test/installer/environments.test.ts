import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, readInstalledPack, type InstalledPack } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { envPython, installerConfig, recorder, tempDir, writePack } from './fixtures.ts';

/** Real uv, pip and npm installs from PyPI and the npm registry; one home (and cache) for the file. */
describe('pack environments', () => {
  let root: string;
  let home: string;
  let sixA: InstalledPack;
  let sixB: InstalledPack;
  const sixVersion = (python: string) => envPython(python, 'import six; print(six.__version__)');

  beforeAll(async () => {
    root = await tempDir('envs');
    home = path.join(root, 'home');
    await writePack(path.join(root, 'six_a'), { ref: 'six_a', version: '1.0.0', requirements: 'six==1.16.0\n' });
    await writePack(path.join(root, 'six_b'), { ref: 'six_b', version: '1.0.0', requirements: '# pinned older\nsix==1.15.0\n' });
    [sixA] = (await installPack(path.join(root, 'six_a'), { config: installerConfig(home) })).installed as [InstalledPack];
    // The second pack goes through venv + pip, so both builders are exercised.
    [sixB] = (await installPack(path.join(root, 'six_b'), { config: installerConfig(home, { PACKRUN_UV: 'off' }) })).installed as [InstalledPack];
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives two packs pinning different versions of one library their own version', () => {
    expect(sixA.env.kind).toBe('python');
    expect(sixVersion(sixA.env.python as string)).toBe('1.16.0');
    expect(sixVersion(sixB.env.python as string)).toBe('1.15.0');
    expect(sixA.env.path).not.toBe(sixB.env.path);
    // Nothing of Packrun's own Python is in a pack env.
    expect(envPython(sixA.env.python as string, "import importlib.util as u; print(u.find_spec('st2common'), u.find_spec('packrun_runtime'))")).toBe('None None');
  });

  it('reinstalls an unchanged pack without running uv, pip or npm, and keeps its env', async () => {
    const progress = recorder();
    const { installed } = await installPack(path.join(root, 'six_a'), { config: installerConfig(home), onProgress: progress.onProgress });
    expect(progress.tools()).toEqual([]);
    expect(progress.events.some((event) => event.envReused)).toBe(true);
    expect(installed[0]?.env.path).toBe(sixA.env.path);
    expect(installed[0]?.dir).not.toBe(sixA.dir);
    await expect(stat(sixA.dir)).rejects.toThrow();
    sixA = installed[0] as InstalledPack;
  });

  it('upgrades to a version with the same requirements by reusing the env', async () => {
    const next = path.join(root, 'upgrade', 'six_a');
    await cp(path.join(root, 'six_a'), next, { recursive: true });
    await writePack(next, { ref: 'six_a', version: '1.1.0', requirements: 'six==1.16.0\n' });
    const progress = recorder();
    const { installed } = await installPack(next, { config: installerConfig(home), onProgress: progress.onProgress });
    expect(progress.tools()).toEqual([]);
    expect(installed[0]?.version).toBe('1.1.0');
    expect(installed[0]?.env.hash).toBe(sixA.env.hash);
    sixA = installed[0] as InstalledPack;
  });

  it('leaves the installed version and its env untouched when the new requirements cannot be installed', async () => {
    const broken = path.join(root, 'broken', 'six_a');
    await writePack(broken, { ref: 'six_a', version: '2.0.0', requirements: 'six==0.0.0-nope\n' });
    const envBefore = await readdir(sixA.env.path as string, { recursive: true });
    const envMtime = (await stat(path.join(sixA.env.path as string, 'pyvenv.cfg'))).mtimeMs;
    await expect(installPack(broken, { config: installerConfig(home) })).rejects.toMatchObject({ code: 'PACK_ENV_BUILD_FAILED' });

    const active = await readInstalledPack(dataPaths(home), 'six_a');
    expect(active).toEqual(sixA);
    expect(sixVersion(active.env.python as string)).toBe('1.16.0');
    expect(await readdir(sixA.env.path as string, { recursive: true })).toEqual(envBefore);
    expect((await stat(path.join(sixA.env.path as string, 'pyvenv.cfg'))).mtimeMs).toBe(envMtime);
    expect(await readdir(path.join(home, 'envs', 'six_a'))).toEqual([sixA.env.hash]);
    expect(await readdir(path.join(home, 'staging'))).toEqual([]);
    expect(await readdir(path.join(home, 'packs', '.versions'))).toHaveLength(2);
  });

  it('stops an install canceled while building the env, leaving the installed version and no staging', async () => {
    const next = await writePack(path.join(root, 'canceled', 'six_a'), { ref: 'six_a', version: '3.0.0', requirements: 'six==1.16.0\nidna==3.7\n' });
    const controller = new AbortController();
    const onProgress = (event: { tool?: string }) => {
      if (event.tool) controller.abort();
    };
    await expect(installPack(next, { config: installerConfig(home), onProgress, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readInstalledPack(dataPaths(home), 'six_a')).toEqual(sixA);
    expect(await readdir(path.join(home, 'envs', 'six_a'))).toEqual([sixA.env.hash]);
    expect(await readdir(path.join(home, 'staging'))).toEqual([]);
    expect(await readdir(path.join(home, 'locks'))).toEqual([]);
  });

  it('installs from the pack\'s own uv cache when the package index is unreachable', async () => {
    await installPack(await writePack(path.join(root, 'offline-1'), { ref: 'offline', version: '1.0.0', requirements: 'six==1.16.0\n' }), { config: installerConfig(home) });
    // The next version's requirements differ (a new env), but what they need is in the cache.
    const dir = await writePack(path.join(root, 'offline-2'), { ref: 'offline', version: '1.1.0', requirements: '# now commented\nsix==1.16.0\n' });
    // A proxy that refuses every connection stands in for a machine without network.
    const saved = { https: process.env['HTTPS_PROXY'], http: process.env['HTTP_PROXY'] };
    process.env['HTTPS_PROXY'] = 'http://127.0.0.1:1';
    process.env['HTTP_PROXY'] = 'http://127.0.0.1:1';
    try {
      // uv reads its cache first, and falls back to --offline when its cached index data is stale.
      const { installed } = await installPack(dir, { config: installerConfig(home) });
      expect(sixVersion(installed[0]?.env.python as string)).toBe('1.16.0');
    } finally {
      for (const [key, value] of [['HTTPS_PROXY', saved.https], ['HTTP_PROXY', saved.http]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('builds an empty venv for a pack with Python actions and no requirements.txt, without pip', async () => {
    const dir = await writePack(path.join(root, 'py_only'), {
      ref: 'py_only',
      version: '0.1.0',
      files: { 'actions/run.py': 'print("hi")\n' },
    });
    const progress = recorder();
    const { installed } = await installPack(dir, { config: installerConfig(home), onProgress: progress.onProgress });
    expect(installed[0]?.env.kind).toBe('python');
    expect(progress.tools()).toEqual(['uv']);
    expect(envPython(installed[0]?.env.python as string, 'import sys; print(sys.prefix != sys.base_prefix)')).toBe('True');
  });

  const otherPython = ['/root/.pyenv/versions/3.12.1/bin/python3.12', '/usr/bin/python3.12', '/root/.pyenv/versions/3.10.13/bin/python3.10'].find((file) => existsSync(file));
  if (otherPython === undefined) {
    console.log("skipping the operator's per-pack interpreter test: no second Python (3.12 or 3.10) on this machine");
  }
  it.skipIf(otherPython === undefined)('builds the env with the interpreter the operator names for the pack in PACKRUN_PACK_PYTHON', async () => {
    const dir = await writePack(path.join(root, 'own_python'), {
      ref: 'own_python',
      version: '0.1.0',
      requirements: 'six==1.16.0\n',
      extra: 'python_versions:\n  - "3"',
    });
    const expected = envPython(otherPython as string, 'import platform; print(platform.python_version())');
    // uv, then venv + the configured interpreter's pip installing across Python versions.
    for (const uv of ['', 'off']) {
      await rm(path.join(home, 'envs', 'own_python'), { recursive: true, force: true });
      const progress = recorder();
      const { installed } = await installPack(dir, { config: installerConfig(home, { PACKRUN_UV: uv, PACKRUN_PACK_PYTHON: `own_python=${otherPython}` }), onProgress: progress.onProgress });
      // The first pack on that Python also builds Packrun's libraries for it (once, with uv or pip).
      expect(progress.tools().slice(-2)).toEqual(uv === 'off' ? ['venv', 'pip'] : ['uv', 'uv']);
      expect(installed[0]?.env.interpreter).toMatchObject({ version: expected, chosenBy: 'operator' });
      const python = installed[0]?.env.python as string;
      expect(envPython(python, 'import platform, six; print(platform.python_version())')).toBe(expected);
      expect(installed[0]?.env.hash).not.toBe(sixA.env.hash);
    }
  });

  it('gives a shell-only pack no env at all', async () => {
    const dir = await writePack(path.join(root, 'shell_only'), { ref: 'shell_only', version: '0.1.0' });
    const progress = recorder();
    const { installed } = await installPack(dir, { config: installerConfig(home), onProgress: progress.onProgress });
    expect(installed[0]?.env).toEqual({ kind: 'none' });
    expect(progress.tools()).toEqual([]);
  });

  it('installs node_modules for a Node pack with scripts off, and reuses them on reinstall', async () => {
    const dir = await writePack(path.join(root, 'node_pack'), {
      ref: 'node_pack',
      version: '0.1.0',
      packageJson: { name: 'node-pack', version: '0.1.0', private: true, dependencies: { 'is-number': '7.0.0' } },
    });
    const first = recorder();
    const { installed } = await installPack(dir, { config: installerConfig(home), onProgress: first.onProgress });
    expect(first.tools()).toEqual(['npm']);
    const pack = installed[0] as InstalledPack;
    expect(pack.env.kind).toBe('node');
    const out = execFileSync(process.execPath, ['-e', "console.log(require('is-number')(5))"], { cwd: pack.dir, encoding: 'utf8' });
    expect(out.trim()).toBe('true');

    const again = recorder();
    await installPack(dir, { config: installerConfig(home), onProgress: again.onProgress });
    expect(again.tools()).toEqual([]);
  });

  it('refuses requirements that change where packages come from, naming the line, before running any tool', async () => {
    const dir = await writePack(path.join(root, 'unsafe'), {
      ref: 'unsafe',
      version: '0.1.0',
      requirements: 'six==1.16.0\n--extra-index-url https://evil.example/simple\n',
    });
    const progress = recorder();
    await expect(installPack(dir, { config: installerConfig(home), onProgress: progress.onProgress })).rejects.toMatchObject({
      code: 'PACK_REQUIREMENTS_UNSAFE',
      message: expect.stringContaining('line 2'),
    });
    expect(progress.tools()).toEqual([]);
  });

  it('refuses a bare archive name, which pip and uv would install from the pack\'s own files', async () => {
    const dir = await writePack(path.join(root, 'bare_archive'), {
      ref: 'bare_archive',
      version: '0.1.0',
      requirements: 'six==1.16.0\nrtbuild-1.0.tar.xz\n',
      files: { 'rtbuild-1.0.tar.xz': 'not really an archive' },
    });
    await expect(installPack(dir, { config: installerConfig(home) })).rejects.toMatchObject({
      code: 'PACK_REQUIREMENTS_UNSAFE',
      message: expect.stringMatching(/line 2: "rtbuild-1\.0\.tar\.xz" is an archive file/),
    });
  });
});
