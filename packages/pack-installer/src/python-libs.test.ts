import { execFileSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pythonRuntime } from '@packrun/core';
import { resolvePython } from './interpreter.ts';
import { ensurePythonLibs } from './python-libs.ts';
import { locateUv } from './uv-locate.ts';

// Debian's PyPy 3.9 (scripts/setup.sh installs it as root): an interpreter setup.sh built nothing for.
const pypy = '/usr/bin/pypy3';
const pythonDir = path.dirname(pythonRuntime.actionWrapper);

/** A copy of the wrappers' requirement files, so this test builds where no other test looks. */
async function copyOfRequirements(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'packrun-python-libs-'));
  for (const set of ['st2-fallback', 'packrun-libs']) {
    await mkdir(path.join(root, set));
    for (const file of (await readdir(path.join(pythonDir, set))).filter((name) => name.endsWith('requirements.txt'))) {
      await copyFile(path.join(pythonDir, set, file), path.join(root, set, file));
    }
  }
  return root;
}

describe.skipIf(!existsSync(pypy))("Packrun's libraries per interpreter", () => {
  it('are built once for an interpreter when several installs need them at once, then reused', async () => {
    const root = await copyOfRequirements();
    const python = await resolvePython(pypy);
    const uv = await locateUv(undefined);
    const messages: string[][] = [[], [], []];
    const build = (index: number) => ensurePythonLibs({ root, python, uv, pipHost: 'python3', onMessage: (message) => messages[index]?.push(message), onLine: () => undefined });
    await Promise.all([build(0), build(1)]);
    const builds = [...(messages[0] ?? []), ...(messages[1] ?? [])].filter((message) => message.startsWith('building'));
    expect(builds.sort()).toEqual([
      `building Packrun's Python libraries for PyPy ${python.version} (once per Python version)`,
      `building the st2 fallback libraries for PyPy ${python.version} (once per Python version)`,
    ]);
    await build(2);
    expect(messages[2]).toEqual([]);

    const site = path.join(root, 'st2-fallback', 'site', 'pypy3.9');
    expect((await readdir(site)).filter((name) => !name.includes('.') && !name.startsWith('_')).sort()).toEqual(
      expect.arrayContaining(['certifi', 'charset_normalizer', 'dns', 'eventlet', 'greenlet', 'idna', 'pytz', 'requests', 'urllib3', 'st2client', 'dateutil']),
    );
    // Importable by that interpreter from there, as the wrapper appends it.
    const imported = execFileSync(pypy, ['-I', '-c', `import sys; sys.path.append(${JSON.stringify(site)}); import requests, eventlet, pytz; print(requests.__version__)`], { encoding: 'utf8' }).trim();
    expect(imported).toBe('2.32.5');
    expect(existsSync(path.join(root, 'packrun-libs', 'site', 'pypy3.9', 'pika'))).toBe(true);
  }, 300_000);

  it('are built again when their pins change', async () => {
    const root = await copyOfRequirements();
    const python = await resolvePython(pypy);
    const uv = await locateUv(undefined);
    await ensurePythonLibs({ root, python, uv, pipHost: 'python3', onMessage: () => undefined, onLine: () => undefined });
    await appendFile(path.join(root, 'st2-fallback', 'requirements.txt'), '# changed\n');
    const messages: string[] = [];
    await ensurePythonLibs({ root, python, uv, pipHost: 'python3', onMessage: (message) => messages.push(message), onLine: () => undefined });
    expect(messages).toEqual([`building the st2 fallback libraries for PyPy ${python.version} (once per Python version)`]);
    // The no-deps file counts too (st2client's set).
    await appendFile(path.join(root, 'st2-fallback', 'no-deps-requirements.txt'), '# changed\n');
    messages.length = 0;
    await ensurePythonLibs({ root, python, uv, pipHost: 'python3', onMessage: (message) => messages.push(message), onLine: () => undefined });
    expect(messages).toEqual([`building the st2 fallback libraries for PyPy ${python.version} (once per Python version)`]);
  }, 300_000);
});
