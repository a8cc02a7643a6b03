import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSandboxDecorator, dataPaths, detectSandbox, loadConfig, pythonRuntime, type PackrunConfig, type SpawnDecorator } from '@packrun/core';
import { installPack, packInfo, type InstallProgressEvent } from '@packrun/pack-installer';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { realPython } from '../runner/fixtures.ts';
import { testUidRange } from '../sandbox/sandbox-fixture.ts';
import { tempDir, writePack } from './fixtures.ts';

// "A pack built on another Python version": Debian 12 has one CPython (3.11) and no PyPI package
// gives another CPython without downloading it from elsewhere, so the other version here is
// Debian's PyPy 3.9 (`pypy3`), which scripts/setup.sh installs when run as root.
const pypy = '/usr/bin/pypy3';
const hasPypy = existsSync(pypy);
if (!hasPypy) console.warn('skipping the per-pack interpreter tests: /usr/bin/pypy3 is missing (scripts/setup.sh installs Debian\'s pypy3 when run as root)');

const pythonDir = path.dirname(pythonRuntime.actionWrapper);
const pypyFallback = path.join(pythonDir, 'st2-fallback', 'site', 'pypy3.9');

/** An action that says which interpreter runs it and where `requests` comes from. */
const whoAmI = [
  'import sys',
  'from st2common.runners.base_action import Action',
  'class WhoAmI(Action):',
  '    def run(self):',
  '        import requests',
  '        return {"implementation": sys.implementation.name, "version": "%d.%d" % sys.version_info[:2],',
  '                "sys_version": sys.version, "prefix": sys.prefix,',
  '                "requests": requests.__version__, "requests_file": requests.__file__}',
  '',
].join('\n');

function packFiles(): Record<string, string> {
  return { 'actions/who.yaml': 'name: who\nrunner_type: python-script\nentry_point: who.py\n', 'actions/who.py': whoAmI };
}

interface Home {
  config: PackrunConfig;
  run(ref: string, decorator?: SpawnDecorator): ReturnType<typeof runAction>;
}

async function freshHome(env: Record<string, string>): Promise<Home> {
  const home = await tempDir('pack-python');
  // Sandboxed job uids reach their pack and job folder through the data folder.
  await chmod(home, 0o711);
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', ...testUidRange(), ...env });
  const paths = dataPaths(home);
  const datastore = new LocalFileKeyValues(paths);
  return { config, run: (ref, decorator) => runAction({ paths, config, ref, input: {}, datastore, ...(decorator ? { decorator } : {}) }) };
}

describe.skipIf(!hasPypy)('the Python of a pack', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('pack-python-src');
  });

  it('builds a pack whose python_versions only PyPy 3.9 fits on PyPy, with the st2 fallback (requests) built for it on demand, and runs its action there', async () => {
    const dir = await writePack(path.join(root, 'on_pypy'), { ref: 'on_pypy', version: '1.0.0', extra: 'python_versions:\n  - "3.9"', files: packFiles() });
    // Only /usr/bin is searched: the pyenv versions some hosts have (a CPython 3.9) would win.
    const home = await freshHome({ PACKRUN_PYTHON_SEARCH: '/usr/bin' });
    // Another installation (its own PACKRUN_HOME) installs a PyPy pack at the same moment: the
    // libraries (shared by every installation of this checkout) are built at most once, by one of
    // them (none, when an earlier test built them: python-libs.test.ts builds into a copy and
    // shows the first build), and both use them.
    const other = await freshHome({ PACKRUN_PYTHON_SEARCH: '/usr/bin' });
    const otherDir = await writePack(path.join(root, 'also_pypy'), { ref: 'also_pypy', version: '1.0.0', extra: 'python_versions:\n  - ">=3.8, <3.10"', files: packFiles() });
    const events: InstallProgressEvent[] = [];
    const otherEvents: InstallProgressEvent[] = [];
    const [{ installed }] = await Promise.all([
      installPack(dir, { config: home.config, onProgress: (event) => events.push(event) }),
      installPack(otherDir, { config: other.config, onProgress: (event) => otherEvents.push(event) }),
    ]);
    const builds = [...events, ...otherEvents].filter((event) => /^building the st2 fallback libraries/.test(event.message));
    expect(builds.length).toBeLessThanOrEqual(1);
    expect(installed[0]?.env.interpreter).toMatchObject({ implementation: 'pypy', chosenBy: 'python_versions', version: expect.stringMatching(/^3\.9\./) });
    const messages = events.map((event) => event.message);
    expect(messages).toContainEqual(expect.stringMatching(/^Python: PyPy 3\.9\.\d+ \(.*pypy.*, found on this host for the pack's python_versions\)$/));
    for (const build of builds) expect(build.message).toMatch(/^building the st2 fallback libraries for PyPy 3\.9/);
    expect((await packInfo('on_pypy', home.config)).env.interpreter?.implementation).toBe('pypy');

    const outcome = await home.run('on_pypy.who');
    expect(outcome.status, String(outcome.result['error'] ?? outcome.result['stderr'])).toBe('succeeded');
    const result = outcome.result['result'] as Record<string, string>;
    expect(result).toMatchObject({ implementation: 'pypy', version: '3.9', requests: '2.32.5', prefix: installed[0]?.env.path });
    expect(result['sys_version']).toContain('PyPy');
    expect(result['requests_file']?.startsWith(`${pypyFallback}/`)).toBe(true);

    // The same inside the sandbox: another uid, the pack, its env and Packrun's folders read-only.
    const host = await detectSandbox(home.config);
    const sandboxed = await home.run('on_pypy.who', createSandboxDecorator({ host, config: home.config }));
    expect(sandboxed.status, String(sandboxed.result['error'] ?? sandboxed.result['stderr'])).toBe('succeeded');
    expect(sandboxed.result['result']).toMatchObject({ implementation: 'pypy', version: '3.9', requests: '2.32.5' });

    expect(((await other.run('also_pypy.who')).result['result'] as Record<string, string>)['requests_file']?.startsWith(`${pypyFallback}/`)).toBe(true);

    // A later pack on PyPy shares what was built.
    const again: string[] = [];
    await installPack(otherDir, { config: home.config, onProgress: (event) => again.push(event.message) });
    expect(again.filter((message) => message.startsWith('building the'))).toEqual([]);
  }, 300_000);

  it('gives a pack that pins its own requests its own, not the fallback copy', async () => {
    const dir = await writePack(path.join(root, 'own_requests'), { ref: 'own_requests', version: '1.0.0', requirements: 'requests==2.31.0\n', files: packFiles() });
    const home = await freshHome({});
    const { installed } = await installPack(dir, { config: home.config });
    expect(installed[0]?.env.interpreter).toMatchObject({ implementation: 'cpython', chosenBy: 'default' });
    const outcome = await home.run('own_requests.who');
    expect(outcome.status, String(outcome.result['error'])).toBe('succeeded');
    const result = outcome.result['result'] as Record<string, string>;
    expect(result['requests']).toBe('2.31.0');
    expect(result['requests_file']?.startsWith(`${installed[0]?.env.path}/`)).toBe(true);
  }, 300_000);

  it('uses the interpreter the operator names for a pack, and rebuilds its env when that choice changes', async () => {
    const dir = await writePack(path.join(root, 'chosen'), { ref: 'chosen', version: '1.0.0', extra: 'python_versions:\n  - "3"', files: packFiles() });
    const onPypy = await freshHome({ PACKRUN_PACK_PYTHON: `chosen=${pypy},other_pack=python3` });
    const first = (await installPack(dir, { config: onPypy.config })).installed[0];
    expect(first?.env.interpreter).toMatchObject({ implementation: 'pypy', chosenBy: 'operator' });
    expect(((await onPypy.run('chosen.who')).result['result'] as Record<string, string>)['implementation']).toBe('pypy');

    // The same data folder without the override: PACKRUN_PYTHON fits "3", so the env is CPython's.
    const withoutOverride = loadConfig({ PACKRUN_HOME: onPypy.config.home, PACKRUN_PYTHON: realPython(), ...testUidRange() });
    const events: InstallProgressEvent[] = [];
    const second = (await installPack(dir, { config: withoutOverride, onProgress: (event) => events.push(event) })).installed[0];
    expect(second?.env.interpreter).toMatchObject({ implementation: 'cpython', chosenBy: 'default' });
    expect(second?.env.hash).not.toBe(first?.env.hash);
    expect(events.some((event) => event.envReused)).toBe(false);
    expect(((await onPypy.run('chosen.who')).result['result'] as Record<string, string>)['implementation']).toBe('cpython');
  }, 300_000);

  it('refuses a pack no interpreter on the host fits, naming what it found and how to add one', async () => {
    for (const wanted of ['"2"', '"3.99"', '">=3.50"']) {
      const dir = await writePack(path.join(root, 'nothing_fits'), { ref: 'nothing_fits', version: '1.0.0', extra: `python_versions:\n  - ${wanted}`, files: packFiles() });
      const home = await freshHome({ PACKRUN_PYTHON_SEARCH: '/usr/bin' });
      const error = await installPack(dir, { config: home.config }).then(() => undefined, (caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'PYTHON_VERSION_UNAVAILABLE' });
      const { message, hint } = error as { message: string; hint: string };
      expect(message).toContain(`supports Python ${JSON.parse(wanted)}`);
      expect(message).toMatch(/found CPython 3\.11\.\d+ \(.*\), .*PyPy 3\.9\.\d+ \(/);
      expect(hint).toContain('PACKRUN_PACK_PYTHON=nothing_fits=/path/to/python');
      expect(hint).toContain('uv python install');
      expect(existsSync(path.join(home.config.home, 'packs', 'nothing_fits'))).toBe(false);
      // --force installs it anyway on PACKRUN_PYTHON, saying so.
      const forced = await installPack(dir, { config: home.config, force: true });
      expect(forced.warnings.map((warning) => warning.message)).toContainEqual(expect.stringContaining('no interpreter on this host fits'));
    }
  }, 300_000);

  it('refuses a python_versions item that is not a version', async () => {
    const dir = await writePack(path.join(root, 'bad_versions'), { ref: 'bad_versions', version: '1.0.0', extra: 'python_versions:\n  - "3"\n  - "three"', files: packFiles() });
    const home = await freshHome({});
    await expect(installPack(dir, { config: home.config })).rejects.toMatchObject({ code: 'PACK_INVALID', details: { field: 'python_versions.1' } });
  });
});
