import { readdir, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, readInstalledPack } from '@packrun/core';
import { STACKSTORM_VERSION, installPack, removePack } from '@packrun/pack-installer';
import { gitRepoOfVersions, installerConfig, packEntries, recorder, serveFiles, tarGz, tempDir, writePack } from './fixtures.ts';

describe('pack sources and dependencies', () => {
  let root: string;
  let repo: { url: string; commits: Map<string, string> };
  let indexFile: string;

  beforeAll(async () => {
    root = await tempDir('sources');
    repo = await gitRepoOfVersions(root, 'stackstorm-lib', [
      { ref: 'lib', version: '1.0.0' },
      { ref: 'lib', version: '1.2.0' },
      { ref: 'lib', version: '2.0.0' },
    ]);
    await writeFile(path.join(root, 'util-1.0.0.tar.gz'), tarGz(packEntries('util', { ref: 'util', version: '1.0.0' })));
    indexFile = path.join(root, 'index.json');
    await writeFile(
      indexFile,
      JSON.stringify({
        packs: {
          lib: { name: 'lib', repo_url: repo.url, version: '2.0.0', versions: { '1.0.0': {}, '1.2.0': {}, '2.0.0': {} } },
          util: { name: 'util', version: '1.0.0', tarball: 'util-1.0.0.tar.gz' },
        },
      }),
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const freshHome = async (name: string) => installerConfig(path.join(root, name), { PACKRUN_PACK_INDEX: indexFile });
  const active = async (home: string, ref: string) => (await readInstalledPack(dataPaths(home), ref)).version;

  it('installs from a git URL at the default branch, a v<semver> tag, a bare version, a range, a branch and a commit', async () => {
    const config = await freshHome('git');
    const cases: Array<[string, string]> = [
      [repo.url, '2.0.0'],
      [`${repo.url}=v1.0.0`, '1.0.0'],
      [`${repo.url}=1.2.0`, '1.2.0'],
      [`${repo.url}=^1.0.0`, '1.2.0'],
      [`${repo.url}=main`, '2.0.0'],
      [`${repo.url}=${repo.commits.get('1.0.0')}`, '1.0.0'],
    ];
    for (const [source, version] of cases) {
      const { installed } = await installPack(source, { config });
      expect([installed[0]?.ref, installed[0]?.version, installed[0]?.source]).toEqual(['lib', version, source]);
    }
    expect(await readdir(path.join(config.home, 'packs', 'lib'))).not.toContain('.git');
    await expect(installPack(`${repo.url}=v9.9.9`, { config })).rejects.toMatchObject({ code: 'PACK_VERSION_NOT_FOUND' });
    await expect(installPack(`file://${root}/nothing-here.git`, { config })).rejects.toMatchObject({ code: 'PACK_FETCH_FAILED' });
    expect(await active(config.home, 'lib')).toBe('1.0.0');
  });

  it('resolves names, exact versions and ranges through a pack index file and over HTTP', async () => {
    const config = await freshHome('index');
    expect((await installPack('lib', { config })).installed[0]?.version).toBe('2.0.0');
    expect((await installPack('lib=1.0.0', { config })).installed[0]?.version).toBe('1.0.0');
    expect((await installPack('lib=^1.1', { config })).installed[0]?.version).toBe('1.2.0');
    expect((await installPack('util', { config })).installed[0]?.version).toBe('1.0.0');
    await expect(installPack('lib=^3', { config })).rejects.toMatchObject({ code: 'PACK_VERSION_NOT_FOUND' });
    await expect(installPack('nosuchpack', { config })).rejects.toMatchObject({ code: 'PACK_NOT_IN_INDEX' });

    const index = JSON.stringify({ packs: { util: { version: '1.0.0', tarball: 'archives/util.tar.gz' } } });
    const server = await serveFiles(
      new Map<string, string | Buffer>([
        ['/index.json', index],
        ['/archives/util.tar.gz', tarGz(packEntries('util', { ref: 'util', version: '1.0.0' }))],
      ]),
    );
    try {
      const overHttp = installerConfig(path.join(root, 'index-http'), { PACKRUN_PACK_INDEX: `${server.url}/index.json` });
      const { installed } = await installPack('util', { config: overHttp });
      expect([installed[0]?.ref, installed[0]?.source]).toEqual(['util', 'util']);
    } finally {
      await server.close();
    }
  });

  it('installs dependencies first, recursively, and keeps an installed dependency that already fits', async () => {
    const config = await freshHome('deps');
    const top = await writePack(path.join(root, 'deps', 'top'), { ref: 'top', version: '1.0.0', dependencies: [`file://${path.join(root, 'middle.git')}`] });
    await gitRepoOfVersions(root, 'middle', [{ ref: 'middle', version: '1.0.0', dependencies: ['lib=^1.0.0', 'util'] }]);
    const { installed } = await installPack(top, { config });
    expect(installed.map((p) => `${p.ref}@${p.version}`)).toEqual(['lib@1.2.0', 'util@1.0.0', 'middle@1.0.0', 'top@1.0.0']);

    const again = await installPack(top, { config });
    expect(again.installed.map((p) => p.ref)).toEqual(['top']);
    expect(again.kept.map((p) => p.ref).sort()).toEqual(['middle']);

    await expect(removePack('lib', { config })).rejects.toMatchObject({ code: 'PACK_HAS_DEPENDENTS', message: expect.stringContaining('middle') });
    const removed: string[] = [];
    await removePack('top', { config, onRemoved: (ref) => void removed.push(ref) });
    await removePack('lib', { config, force: true });
    expect(removed).toEqual(['top']);
    expect((await readdir(path.join(config.home, 'packs'))).sort()).toEqual(['.versions', 'middle', 'util']);
    expect(await readdir(path.join(config.home, 'envs')).catch(() => [])).toEqual([]);
  });

  it('stops on a dependency conflict before anything changes, naming both packs', async () => {
    const config = await freshHome('conflict');
    await installPack('lib=1.0.0', { config });
    const linkBefore = await readlink(path.join(config.home, 'packs', 'lib'));
    const one = await writePack(path.join(root, 'conflict', 'needs_one'), { ref: 'needs_one', version: '1.0.0', dependencies: ['lib=^1.0.0'] });
    const two = await writePack(path.join(root, 'conflict', 'needs_two'), { ref: 'needs_two', version: '3.1.0', dependencies: ['lib=^2.0.0'] });
    const progress = recorder();
    const error = await installPack([one, two], { config, onProgress: progress.onProgress }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PACK_DEPENDENCY_CONFLICT' });
    expect((error as Error).message).toMatch(/needs_one 1\.0\.0 needs/);
    expect((error as Error).message).toMatch(/needs_two 3\.1\.0 needs/);
    expect(progress.events.some((event) => event.stage === 'registering')).toBe(false);
    expect(await readlink(path.join(config.home, 'packs', 'lib'))).toBe(linkBefore);
    expect((await readdir(path.join(config.home, 'packs'))).sort()).toEqual(['.versions', 'lib']);

    // An installed pack's own pin counts too.
    await installPack(one, { config });
    await expect(installPack('lib=2.0.0', { config })).rejects.toMatchObject({
      code: 'PACK_DEPENDENCY_CONFLICT',
      message: expect.stringContaining('needs_one 1.0.0 (installed)'),
    });
    expect(await active(config.home, 'lib')).toBe('1.0.0');
  });

  it('picks the dependency version that fits every pack, installed ones included, and chooses again when a later pack narrows it', async () => {
    const config = await freshHome('fit');
    const oldUser = await writePack(path.join(root, 'fit', 'old_user'), { ref: 'old_user', version: '1.0.0', dependencies: ['lib=^1.0.0'] });
    await installPack([oldUser, 'lib=1.0.0'], { config });
    const newUser = await writePack(path.join(root, 'fit', 'new_user'), { ref: 'new_user', version: '1.0.0', dependencies: ['lib=>=1.1.0'] });
    const { installed } = await installPack(newUser, { config });
    expect(installed.map((p) => `${p.ref}@${p.version}`)).toEqual(['lib@1.2.0', 'new_user@1.0.0']);

    const fresh = await freshHome('fit-late');
    const anyLib = await writePack(path.join(root, 'fit', 'any_lib'), { ref: 'any_lib', version: '1.0.0', dependencies: ['lib'] });
    const oneLib = await writePack(path.join(root, 'fit', 'one_lib'), { ref: 'one_lib', version: '1.0.0', dependencies: ['lib=<1.1.0'] });
    const late = await installPack([anyLib, oneLib], { config: fresh });
    expect(late.installed.map((p) => `${p.ref}@${p.version}`).sort()).toEqual(['any_lib@1.0.0', 'lib@1.0.0', 'one_lib@1.0.0']);
  });

  it('checks stackstorm_version and python_versions, and installs anyway with force', async () => {
    const config = await freshHome('compat');
    expect(STACKSTORM_VERSION).toBe('3.9.0');
    const old = await writePack(path.join(root, 'compat', 'old'), { ref: 'old', version: '1.0.0', extra: 'stackstorm_version: ">=1.8.0, <2.2.0"' });
    const fits = await writePack(path.join(root, 'compat', 'fits'), { ref: 'fits', version: '1.0.0', extra: 'stackstorm_version: ">=3.0.0"\npython_versions:\n  - "3"' });
    const py2 = await writePack(path.join(root, 'compat', 'py2'), { ref: 'py2', version: '1.0.0', extra: 'python_versions:\n  - "2"' });
    await expect(installPack(old, { config })).rejects.toMatchObject({ code: 'PACK_INCOMPATIBLE', message: expect.stringContaining('3.9.0') });
    // No Python 2 on this host (the wrappers need 3.7 or later): nothing fits.
    await expect(installPack(py2, { config })).rejects.toMatchObject({ code: 'PYTHON_VERSION_UNAVAILABLE' });
    expect((await installPack(fits, { config })).installed).toHaveLength(1);
    const forced = await installPack(old, { config, force: true });
    expect(forced.installed[0]?.ref).toBe('old');
    expect(forced.warnings.map((w) => w.code)).toContain('PACK_INCOMPATIBLE');
  });

  it('refuses folders and git repositories with links that lead outside the pack', async () => {
    const config = await freshHome('links');
    const leakyFolder = await writePack(path.join(root, 'links', 'leaky'), { ref: 'leaky', version: '1.0.0', links: { 'actions/secret.yaml': '/etc/passwd' } });
    await expect(installPack(leakyFolder, { config })).rejects.toMatchObject({ code: 'PACK_LINK_UNSAFE', message: expect.stringContaining('actions/secret.yaml -> /etc/passwd') });
    const leakyRepo = await gitRepoOfVersions(path.join(root, 'links'), 'leaky-repo', [{ ref: 'leaky', version: '1.0.0', links: { up: '../../..' } }]);
    await expect(installPack(leakyRepo.url, { config })).rejects.toMatchObject({ code: 'PACK_LINK_UNSAFE' });
    const fine = await writePack(path.join(root, 'links', 'fine'), { ref: 'fine', version: '1.0.0', links: { 'actions/same.yaml': 'hello.yaml' } });
    expect((await installPack(fine, { config })).installed[0]?.ref).toBe('fine');
    expect(await readdir(path.join(config.home, 'packs'))).toEqual(['.versions', 'fine']);
  });

  it('refuses an invalid pack.yaml and reports broken action files as warnings', async () => {
    const config = await freshHome('validate');
    const bad = path.join(root, 'validate', 'bad');
    await writePack(bad, { ref: 'bad', version: '1.0.0' });
    await writeFile(path.join(bad, 'pack.yaml'), 'ref: bad\nname: bad\nversion: "1.0"\n');
    await expect(installPack(bad, { config })).rejects.toMatchObject({ code: 'PACK_INVALID' });
    const broken = await writePack(path.join(root, 'validate', 'broken'), { ref: 'broken', version: '1.0.0', files: { 'actions/oops.yaml': 'name: oops\n' } });
    const progress = recorder();
    const result = await installPack(broken, { config, onProgress: progress.onProgress });
    expect(result.installed[0]?.ref).toBe('broken');
    expect(result.warnings.some((w) => w.file.includes('oops.yaml'))).toBe(true);
    expect(progress.events.some((e) => e.warning && e.message.includes('oops.yaml'))).toBe(true);
  });
});
