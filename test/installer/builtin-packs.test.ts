import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPaths, installRecordName, readInstalledPack } from '@packrun/core';
import { ensureBuiltinPacks, outdatedBuiltinPacks, packInfo, removePack } from '@packrun/pack-installer';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { installerConfig, tempDir } from './fixtures.ts';

const shippedCore = path.join(repoRoot, 'packs', 'core');

describe('built-in packs', () => {
  it('are installed from the repository when missing, once, and then left alone', async () => {
    const config = installerConfig(await tempDir('builtin'));
    expect(await outdatedBuiltinPacks(config.home)).toEqual([shippedCore]);
    const first = await ensureBuiltinPacks({ config });
    expect(first?.installed.map((pack) => `${pack.ref} ${pack.version}`)).toEqual(['core 3.9.0']);
    expect(first?.actions['core']?.runnable).toContain('core.http');
    const record = JSON.parse(await readFile(path.join(first!.installed[0]!.dir, installRecordName), 'utf8')) as { source: string; digest?: string };
    expect(record).toMatchObject({ source: shippedCore, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await outdatedBuiltinPacks(config.home)).toEqual([]);
    expect(await ensureBuiltinPacks({ config })).toBeUndefined();
  });

  it('are installed once when several processes start together', async () => {
    const config = installerConfig(await tempDir('builtin-race'));
    const results = await Promise.all([1, 2, 3].map(() => ensureBuiltinPacks({ config })));
    expect(results.flatMap((result) => result?.installed ?? []).map((pack) => pack.ref)).toEqual(['core']);
    expect(results.flatMap((result) => result?.kept ?? []).map((pack) => pack.ref)).toEqual(['core', 'core']);
  });

  it('are installed again when the installed copy is not what this Packrun ships (an older Packrun installed it)', async () => {
    const home = await tempDir('builtin-upgrade');
    const config = installerConfig(home);
    const first = (await ensureBuiltinPacks({ config }))!.installed[0]!;
    // What main installed before built-in packs were tracked: core 1.0.0, no digest.
    const recordFile = path.join(first.dir, installRecordName);
    const { digest: _digest, ...older } = JSON.parse(await readFile(recordFile, 'utf8')) as Record<string, unknown>;
    await writeFile(recordFile, JSON.stringify({ ...older, version: '1.0.0' }));
    // Another process: this one keeps the record it read before.
    const env = { PACKRUN_HOME: home, PACKRUN_PYTHON: config.python };
    const run = await runPackrunCli(['run', 'core.noop', '--json'], env);
    expect(run.stderr).toContain('built-in pack core 3.9.0 installed');
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'succeeded', result: { succeeded: true, return_code: 0 } });
    const now = await packInfo('core', config);
    expect(now.version).toBe('3.9.0');
    expect(now.dir).not.toBe(first.dir);
    const again = await runPackrunCli(['run', 'core.noop'], env);
    expect(again.stderr).not.toContain('installed');
  });

  it('cannot be removed', async () => {
    const config = installerConfig(await tempDir('builtin-remove'));
    await ensureBuiltinPacks({ config });
    await expect(removePack('core', { config })).rejects.toMatchObject({ code: 'PACK_REF_RESERVED' });
    expect((await readInstalledPack(dataPaths(config.home), 'core')).version).toBe('3.9.0');
  });
});
