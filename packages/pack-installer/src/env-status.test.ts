import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvStatus } from './env-status.ts';

describe("an env's status from its ready marker", () => {
  let root: string;
  let count = 0;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'packrun-env-status-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function envWith(marker: string | undefined): Promise<string> {
    const dir = path.join(root, `env-${count++}`);
    await mkdir(dir);
    if (marker !== undefined) await writeFile(path.join(dir, '.packrun-env.json'), marker);
    return dir;
  }

  it('reports the interpreter the installer recorded, and nothing of its paths', async () => {
    const dir = await envWith(JSON.stringify({ ref: 'p', hash: 'h', kind: 'python', python: { executable: '/opt/py/bin/python3.11', version: '3.11.7', implementation: 'cpython', chosenBy: 'default' }, builtAt: '2026-12-05T06:00:00.000Z' }));
    const status = await readEnvStatus({ kind: 'python', path: dir, python: path.join(dir, 'bin/python') });
    expect(status).toEqual({ kind: 'python', state: 'ready', python: { implementation: 'cpython', version: '3.11.7' }, builtAt: '2026-12-05T06:00:00.000Z' });
    expect(JSON.stringify(status)).not.toContain('/');
  });

  it('says none for a pack without code, and missing for an env without its marker', async () => {
    expect(await readEnvStatus({ kind: 'none' })).toEqual({ kind: 'none', state: 'none' });
    expect(await readEnvStatus({ kind: 'node', path: await envWith(undefined) })).toEqual({ kind: 'node', state: 'missing' });
    expect(await readEnvStatus({ kind: 'python', path: path.join(root, 'gone') })).toEqual({ kind: 'python', state: 'missing' });
  });

  it('takes from a marker only values of the shapes the installer writes', async () => {
    const hostile = { python: { implementation: '/etc/passwd', version: `3.11.7 ${'x'.repeat(100)}` }, builtAt: '<img src=x onerror=alert(1)>' };
    expect(await readEnvStatus({ kind: 'python', path: await envWith(JSON.stringify(hostile)) })).toEqual({ kind: 'python', state: 'ready' });
    expect(await readEnvStatus({ kind: 'python', path: await envWith('not json') })).toEqual({ kind: 'python', state: 'missing' });
    expect(await readEnvStatus({ kind: 'python', path: await envWith(JSON.stringify({ pad: 'x'.repeat(20_000) })) })).toEqual({ kind: 'python', state: 'missing' });
  });

  it('does not follow a marker that is a link (to another file of the host)', async () => {
    const elsewhere = path.join(root, 'elsewhere.json');
    await writeFile(elsewhere, JSON.stringify({ python: { implementation: 'cpython', version: '3.99.0' } }));
    const dir = await envWith(undefined);
    await symlink(elsewhere, path.join(dir, '.packrun-env.json'));
    expect(await readEnvStatus({ kind: 'python', path: dir })).toEqual({ kind: 'python', state: 'missing' });
  });
});
