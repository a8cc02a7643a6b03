import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverPythons } from './python-discovery.ts';

const pypy = '/usr/bin/pypy3';

describe('interpreter discovery', () => {
  it('finds nothing when the operator turned it off', async () => {
    expect(await discoverPythons({ search: 'off', uv: undefined })).toEqual([]);
  });

  it.skipIf(!existsSync(pypy))("looks only at the operator's folders and files, by interpreter names, each once, CPython first", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'packrun-discovery-'));
    await symlink(pypy, path.join(folder, 'pypy3'));
    await symlink(pypy, path.join(folder, 'python3.9'));
    // Not an interpreter's name: never run.
    const marker = path.join(folder, 'ran');
    await writeFile(path.join(folder, 'python3-config'), `#!/bin/sh\ntouch ${marker}\n`);
    await chmod(path.join(folder, 'python3-config'), 0o755);
    const found = await discoverPythons({ search: [folder, '/usr/bin/python3.11'], uv: undefined });
    expect(found.map((python) => [python.implementation, python.executable])).toEqual([
      ['cpython', '/usr/bin/python3.11'],
      ['pypy', '/usr/bin/pypy3.9'],
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it.skipIf(!existsSync('/usr/bin/python3.11'))('reads pyenv versions under PYENV_ROOT and leaves out what cannot run the wrappers', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'packrun-pyenv-'));
    const version = async (name: string, script: string) => {
      await mkdir(path.join(root, 'versions', name, 'bin'), { recursive: true });
      await writeFile(path.join(root, 'versions', name, 'bin', 'python3'), script);
      await chmod(path.join(root, 'versions', name, 'bin', 'python3'), 0o755);
    };
    // A Python 2 lookalike: it cannot run `-I`, as Python 2 cannot.
    await version('2.7.18', '#!/bin/sh\necho "Unknown option: -I" >&2\nexit 2\n');
    // A version that says it was asked, then answers as the host's CPython would.
    const asked = path.join(root, 'asked');
    await version('3.11-host', `#!/bin/sh\ntouch ${asked}\nexec /usr/bin/python3.11 "$@"\n`);
    const found = await discoverPythons({ search: 'auto', uv: undefined, env: { PYENV_ROOT: root } });
    expect(existsSync(asked)).toBe(true);
    expect(found.some((python) => python.executable === '/usr/bin/python3.11')).toBe(true);
    expect(found.every((python) => Number(python.version.split('.')[0]) === 3 && Number(python.version.split('.')[1]) >= 7)).toBe(true);
  });
});
