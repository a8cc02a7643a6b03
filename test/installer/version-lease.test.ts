import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, leaseInstalledPack, loadConfig, readInstalledPack, type PackrunConfig } from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { collectRetiredVersions, installPack, removePack } from '@packrun/pack-installer';
import { retryUntil } from '../helpers/retry-until.ts';
import { tempDir, writePack } from './fixtures.ts';

/**
 * A job runs from its pack's version folder and env; an install that switches the pack to a newer
 * version (or removes it) must not pull them from under the job. Real installs (uv, empty venvs:
 * no network) and real Python actions.
 */
const waitAction = `
import os, sys, time
from st2common.runners.base_action import Action

class Wait(Action):
    def run(self, started, go):
        open(started, 'w').close()
        while not os.path.exists(go):
            time.sleep(0.02)
        here = os.path.dirname(os.path.abspath(__file__))
        data = open(os.path.join(here, '..', 'data.txt')).read().strip()
        return {'data': data, 'venv': os.path.exists(os.path.join(sys.prefix, 'pyvenv.cfg'))}
`;

async function writeVersion(dir: string, version: string, requirements: string): Promise<string> {
  return writePack(dir, {
    ref: 'leased',
    version,
    requirements,
    files: {
      'data.txt': `v${version}\n`,
      'actions/wait.py': waitAction,
      'actions/wait.yaml': 'name: wait\nrunner_type: python-script\nentry_point: wait.py\nparameters:\n  started:\n    type: string\n    required: true\n  go:\n    type: string\n    required: true\n',
    },
  });
}

describe('versions in use', () => {
  let root: string;
  let home: string;
  let config: PackrunConfig;

  beforeAll(async () => {
    root = await tempDir('lease');
    home = path.join(root, 'home');
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: python });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function startWaiting(name: string) {
    const started = path.join(root, `${name}.started`);
    const go = path.join(root, `${name}.go`);
    const paths = dataPaths(home);
    const outcome = runAction({ paths, config, ref: 'leased.wait', input: { started, go }, datastore: new LocalFileKeyValues(paths) });
    await retryUntil(() => existsSync(started), { withinMs: 30_000, what: `${name} started` });
    return { outcome, go: () => writeFile(go, '') };
  }

  it('keeps the old version and env while an action runs from them, and collects them once it ended', async () => {
    // Different requirements files: each version gets its own env (both empty venvs).
    await installPack(await writeVersion(path.join(root, 'v1'), '1.0.0', '# v1\n'), { config });
    const v1 = await readInstalledPack(dataPaths(home), 'leased');
    const job = await startWaiting('first');

    await installPack(await writeVersion(path.join(root, 'v2'), '2.0.0', '# v2\n'), { config });
    const v2 = await readInstalledPack(dataPaths(home), 'leased');
    expect(v2.version).toBe('2.0.0');
    expect(v2.env.path).not.toBe(v1.env.path);
    expect(existsSync(v1.dir)).toBe(true);
    expect(existsSync(v1.env.path as string)).toBe(true);

    await job.go();
    const outcome = await job.outcome;
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result as { result: unknown }).result).toEqual({ data: 'v1.0.0', venv: true });

    // Ended: the next collection (start-up, or any later install) takes the old version and its env.
    await collectRetiredVersions(home);
    expect(existsSync(v1.dir)).toBe(false);
    expect(existsSync(v1.env.path as string)).toBe(false);
    expect(existsSync(v2.dir)).toBe(true);
    expect(existsSync(v2.env.path as string)).toBe(true);
  });

  it('keeps a removed pack for the action still running from it; a later install collects it', async () => {
    const v2 = await readInstalledPack(dataPaths(home), 'leased');
    const job = await startWaiting('second');
    await removePack('leased', { config });
    expect(existsSync(path.join(home, 'packs', 'leased'))).toBe(false);
    expect(existsSync(v2.dir)).toBe(true);
    await job.go();
    expect((await job.outcome).status).toBe('succeeded');

    await installPack(await writeVersion(path.join(root, 'v3'), '3.0.0', '# v3\n'), { config });
    expect(existsSync(v2.dir)).toBe(false);
    expect(existsSync(v2.env.path as string)).toBe(false);
    const envs = await readdir(path.join(home, 'envs', 'leased'));
    expect(envs).toEqual([(await readInstalledPack(dataPaths(home), 'leased')).env.hash]);
  });

  it('keeps every leased folder whole while installs keep switching the pack', async () => {
    const versions = ['5.0.0', '5.0.1', '5.0.2', '5.0.3', '5.0.4', '5.0.5'];
    const sources = await Promise.all(versions.map((version) => writePack(path.join(root, `busy-${version}`), { ref: 'busy', version, files: { 'data.txt': version } })));
    await installPack(sources[0] as string, { config });
    let installing = true;
    const installs = (async () => {
      for (const source of sources.slice(1)) await installPack(source, { config });
      installing = false;
    })();
    let leased = 0;
    const seen = new Set<string>();
    const jobs = Array.from({ length: 4 }, async () => {
      while (installing) {
        const lease = await leaseInstalledPack(dataPaths(home), 'busy');
        // A leased folder stays whole for as long as the lease is held, across awaits.
        for (let i = 0; i < 5; i++) {
          seen.add(await readFile(path.join(lease.installed.dir, 'data.txt'), 'utf8'));
          await new Promise((resolve) => setImmediate(resolve));
        }
        await lease.release();
        leased++;
      }
    });
    await Promise.all([installs, ...jobs]);
    expect(leased).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(1);
    // Every lease was released: nothing but the active version is left.
    await collectRetiredVersions(home);
    const holders = await readdir(path.join(home, 'packs', '.versions'));
    const busy = [];
    for (const holder of holders) if (existsSync(path.join(home, 'packs', '.versions', holder, 'busy'))) busy.push(holder);
    expect(busy).toHaveLength(1);
  });

  it('shares one lease file among the jobs of a process on one version, kept until the last of them ends', async () => {
    await installPack(await writePack(path.join(root, 'shared-1'), { ref: 'shared', version: '1.0.0', files: { 'data.txt': 'one' } }), { config });
    const paths = dataPaths(home);
    const leasesOf = async (dir: string): Promise<string[]> => readdir(path.join(path.dirname(dir), '.leases')).catch(() => []);
    const leases = await Promise.all(Array.from({ length: 5 }, () => leaseInstalledPack(paths, 'shared')));
    const v1 = leases[0]!.installed.dir;
    expect(new Set(leases.map((lease) => lease.installed.dir))).toEqual(new Set([v1]));
    expect(await leasesOf(v1)).toHaveLength(1);

    await installPack(await writePack(path.join(root, 'shared-2'), { ref: 'shared', version: '2.0.0', files: { 'data.txt': 'two' } }), { config });
    for (const lease of leases.slice(0, 4)) await lease.release();
    // One job still holds it: a collection keeps the folder, and a new job gets the new version.
    await collectRetiredVersions(home);
    expect(existsSync(v1)).toBe(true);
    expect(await leasesOf(v1)).toHaveLength(1);
    const next = await leaseInstalledPack(paths, 'shared');
    expect(next.installed.version).toBe('2.0.0');
    await next.release();

    await leases[4]!.release();
    expect(await leasesOf(v1)).toEqual([]);
    await collectRetiredVersions(home);
    expect(existsSync(v1)).toBe(false);
  });

  it('keeps the lease of the active version a moment after its last job, for the next one, then drops it', async () => {
    const paths = dataPaths(home);
    const first = await leaseInstalledPack(paths, 'shared');
    const leasesDir = path.join(path.dirname(first.installed.dir), '.leases');
    const held = await readdir(leasesDir);
    expect(held).toHaveLength(1);
    await first.release();
    const second = await leaseInstalledPack(paths, 'shared');
    expect(await readdir(leasesDir)).toEqual(held);
    await second.release();
    await retryUntil(async () => (await readdir(leasesDir)).length === 0, { withinMs: 5000, what: 'the lingering lease dropped' });
  });

  it('ignores the lease of a process that is gone', async () => {
    const v3 = await readInstalledPack(dataPaths(home), 'leased');
    const leases = path.join(path.dirname(v3.dir), '.leases');
    await mkdir(leases, { recursive: true });
    // Pid 2^22 + 1 is above the largest pid_max Linux allows: never a live process.
    await writeFile(path.join(leases, `${os.hostname()}-4194305-00000000-0000-0000-0000-000000000000`), '{}');
    await installPack(await writeVersion(path.join(root, 'v4'), '4.0.0', '# v3\n'), { config });
    expect(existsSync(v3.dir)).toBe(false);
  });
});
