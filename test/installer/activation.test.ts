import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, readInstalledPack, type InstalledPack, type LoadedPack } from '@packrun/core';
import { installPack, listInstalledPacks, packInfo, upgradePack } from '@packrun/pack-installer';
import { installerConfig, tempDir, writePack } from './fixtures.ts';

describe('activation', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('activation');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hands the activated pack, loaded from its final folder, to onActivated, dependencies first', async () => {
    const config = installerConfig(path.join(root, 'hook'));
    const dep = await writePack(path.join(root, 'hook-src', 'base'), { ref: 'base', version: '1.0.0' });
    const seen: Array<[InstalledPack, LoadedPack]> = [];
    await installPack(dep, { config, onActivated: (installed, loaded) => void seen.push([installed, loaded]) });
    expect(seen).toHaveLength(1);
    const [installed, loaded] = seen[0] as [InstalledPack, LoadedPack];
    expect(loaded.dir).toBe(installed.dir);
    expect(loaded.actions.map((a) => a.ref)).toEqual(['base.hello']);
    expect(await readInstalledPack(dataPaths(config.home), 'base')).toEqual(installed);
  });

  it('puts every pack back to its previous version when onActivated fails', async () => {
    const home = path.join(root, 'rollback');
    const config = installerConfig(home);
    const v1 = await writePack(path.join(root, 'rb-src', 'v1', 'app'), { ref: 'app', version: '1.0.0' });
    await installPack(v1, { config });
    const before = await readlink(path.join(home, 'packs', 'app'));

    const lib = await writePack(path.join(root, 'rb-src', 'lib'), { ref: 'lib', version: '1.0.0' });
    const v2 = await writePack(path.join(root, 'rb-src', 'v2', 'app'), { ref: 'app', version: '2.0.0' });
    const announced: string[] = [];
    const failing = (installed: InstalledPack) => {
      announced.push(`${installed.ref}@${installed.version}`);
      if (installed.ref === 'app' && installed.version === '2.0.0') throw new Error('store is down');
    };
    const onRemoved = (ref: string) => void announced.push(`removed ${ref}`);
    await expect(installPack([lib, v2], { config, onActivated: failing, onRemoved })).rejects.toMatchObject({ code: 'PACK_ACTIVATION_FAILED' });
    // The hooks hear about the version that is active again and the pack that is gone again.
    expect(announced).toEqual(['lib@1.0.0', 'app@2.0.0', 'app@1.0.0', 'removed lib']);
    expect(await readlink(path.join(home, 'packs', 'app'))).toBe(before);
    expect((await readInstalledPack(dataPaths(home), 'app')).version).toBe('1.0.0');
    expect((await readdir(path.join(home, 'packs'))).sort()).toEqual(['.versions', 'app']);
    expect(await readdir(path.join(home, 'packs', '.versions'))).toHaveLength(1);
  });

  it('serialises concurrent installs of one pack and ends with exactly one version', async () => {
    const home = path.join(root, 'parallel');
    const config = installerConfig(home);
    const a = await writePack(path.join(root, 'par-src', 'a', 'same'), { ref: 'same', version: '1.0.0' });
    const b = await writePack(path.join(root, 'par-src', 'b', 'same'), { ref: 'same', version: '1.1.0' });
    const other = await writePack(path.join(root, 'par-src', 'other'), { ref: 'other', version: '1.0.0' });
    const results = await Promise.all([installPack(a, { config }), installPack(b, { config }), installPack(other, { config })]);
    expect(results.map((r) => r.installed[0]?.version)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
    const active = await readInstalledPack(dataPaths(home), 'same');
    expect(['1.0.0', '1.1.0']).toContain(active.version);
    expect(await readdir(path.join(home, 'packs', '.versions'))).toHaveLength(2);
    expect(await readdir(path.join(home, 'locks'))).toEqual([]);
  });

  it('cleans up what an install killed midway left behind', async () => {
    const home = path.join(root, 'crash');
    const config = installerConfig(home);
    const src = await writePack(path.join(root, 'crash-src', 'crashy'), { ref: 'crashy', version: '1.0.0' });
    await installPack(src, { config });
    const dead = spawnSync('true').pid;
    const leftoverStaging = path.join(home, 'staging', `${os.hostname()}-${dead}-${randomUUID()}`);
    const orphanVersion = path.join(home, 'packs', '.versions', randomUUID(), 'crashy');
    await mkdir(leftoverStaging, { recursive: true });
    await cp(src, orphanVersion, { recursive: true });
    await symlink('.versions/x/crashy', path.join(home, 'packs', `.crashy.switch-${randomUUID()}`));

    await installPack(src, { config });
    expect(await readdir(path.join(home, 'staging'))).toEqual([]);
    expect(await readdir(path.join(home, 'packs', '.versions'))).toHaveLength(1);
    expect((await readdir(path.join(home, 'packs'))).sort()).toEqual(['.versions', 'crashy']);
  });

  it('replaces a pack folder copied into packs/ by hand like an installed version', async () => {
    const home = path.join(root, 'by-hand');
    const config = installerConfig(home);
    await writePack(path.join(home, 'packs', 'manual'), { ref: 'manual', version: '0.9.0' });
    const src = await writePack(path.join(root, 'by-hand-src', 'manual'), { ref: 'manual', version: '1.0.0' });
    const { installed } = await installPack(src, { config });
    expect(await readlink(path.join(home, 'packs', 'manual'))).toBe(path.relative(path.join(home, 'packs'), installed[0]?.dir as string));
    expect(await readdir(path.join(home, 'packs', '.versions'))).toHaveLength(1);
  });

  it('makes installed content readable by the other uids jobs run as', async () => {
    const config = installerConfig(path.join(root, 'modes'));
    const src = await writePack(path.join(root, 'modes-src', 'private'), { ref: 'private', version: '1.0.0', files: { 'actions/run.sh': '#!/bin/sh\n' } });
    await chmod(path.join(src, 'actions', 'run.sh'), 0o700);
    await chmod(path.join(src, 'actions', 'hello.yaml'), 0o600);
    await chmod(path.join(src, 'actions'), 0o700);
    const { installed } = await installPack(src, { config });
    const dir = installed[0]?.dir as string;
    expect((await stat(path.join(dir, 'actions'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(dir, 'actions', 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(dir, 'actions', 'hello.yaml'))).mode & 0o777).toBe(0o644);
  });

  it('lists, describes and upgrades from the recorded source', async () => {
    const home = path.join(root, 'manage');
    const config = installerConfig(home);
    const src = path.join(root, 'manage-src', 'tool');
    await writePack(src, { ref: 'tool', version: '1.0.0' });
    await installPack(src, { config });
    await writePack(src, { ref: 'tool', version: '1.0.1' });
    const { installed } = await upgradePack('tool', { config });
    expect(installed[0]?.version).toBe('1.0.1');
    const list = await listInstalledPacks(config);
    expect(list.map((p) => [p.ref, p.version, p.source, p.envState])).toEqual([['tool', '1.0.1', src, 'none']]);
    expect((await packInfo('tool', config)).dir).toBe(installed[0]?.dir);
    await expect(packInfo('missing', config)).rejects.toMatchObject({ code: 'PACK_NOT_INSTALLED' });
  });

  it('refuses an interpreter the operator names for a pack that does not exist', async () => {
    const config = installerConfig(path.join(root, 'python'), { PACKRUN_PACK_PYTHON: 'nopy=python0.9-missing' });
    const missing = await writePack(path.join(root, 'py-src', 'nopy'), { ref: 'nopy', version: '1.0.0', requirements: '' });
    await expect(installPack(missing, { config })).rejects.toMatchObject({ code: 'PYTHON_NOT_FOUND', message: expect.stringContaining('python0.9-missing') });
  });
});
