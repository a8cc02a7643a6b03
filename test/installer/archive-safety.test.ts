import { lstat, readdir, readlink, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPack } from '@packrun/pack-installer';
import { installerConfig, packEntries, serveFiles, tarGz, tempDir, type TarEntry } from './fixtures.ts';

/** Every path under `root` except the installer's own staging folder, with its type, size and link target. */
async function snapshot(root: string, skip: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const full = path.join(dir, name);
      if (full === skip) continue;
      const info = await lstat(full);
      const kind = info.isSymbolicLink() ? `link:${await readlink(full)}` : info.isDirectory() ? 'dir' : `file:${info.size}:${info.mode}`;
      result.set(full, kind);
      if (info.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return result;
}

describe('archive sources', () => {
  let root: string;
  let home: string;
  let config: ReturnType<typeof installerConfig>;

  beforeAll(async () => {
    root = await tempDir('archive');
    home = path.join(root, 'home');
    config = installerConfig(home);
    await mkdir(path.join(root, 'outside'), { recursive: true });
    await mkdir(path.join(home, 'staging'), { recursive: true });
    await writeFile(path.join(root, 'outside', 'keep.txt'), 'untouched');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const pack = packEntries('evil', { ref: 'evil', version: '1.0.0' });
  const hostile: Array<[string, () => TarEntry[]]> = [
    ['a ../ entry', () => [...pack, { path: 'evil/../../../../../outside/dotdot.txt', content: 'x' }]],
    ['an absolute path', () => [...pack, { path: `${root}/outside/absolute.txt`, content: 'x' }]],
    ['a symlink that escapes, then a file through it', () => [...pack, { path: 'evil/up', type: 'symlink', linkpath: '../../../../../outside' }, { path: 'evil/up/through.txt', content: 'x' }]],
    ['an absolute symlink', () => [...pack, { path: 'evil/etc', type: 'symlink', linkpath: '/etc' }]],
    [
      'a symlink that only escapes through another link',
      () => [...pack, { path: 'evil/sub/', type: 'dir' }, { path: 'evil/sub/x', type: 'symlink', linkpath: '../d/../../..' }, { path: 'evil/d', type: 'symlink', linkpath: 'sub' }],
    ],
    ['a hardlink to a file outside', () => [...pack, { path: 'evil/passwd', type: 'hardlink', linkpath: '/etc/passwd' }]],
    ['a hardlink to a name that is not in the archive', () => [...pack, { path: 'evil/keep', type: 'hardlink', linkpath: 'outside/keep.txt' }]],
    ['a device node', () => [...pack, { path: 'evil/null', type: 'chardev' }]],
    ['a FIFO', () => [...pack, { path: 'evil/pipe', type: 'fifo' }]],
    ['a setuid file', () => [...pack, { path: 'evil/actions/run.sh', content: '#!/bin/sh\n', mode: 0o4755 }]],
  ];

  for (const [what, entries] of hostile) {
    it(`refuses an archive with ${what} and changes nothing outside staging`, async () => {
      const archive = path.join(root, 'outside', 'evil.tar.gz');
      await writeFile(archive, tarGz(entries()));
      const before = await snapshot(root, path.join(home, 'staging'));
      await expect(installPack(archive, { config })).rejects.toMatchObject({ code: 'PACK_ARCHIVE_UNSAFE' });
      expect(await snapshot(root, path.join(home, 'staging'))).toEqual(before);
      expect(await readdir(path.join(home, 'staging'))).toEqual([]);
    });
  }

  it('refuses an archive that unpacks larger than the limit, before extracting', async () => {
    const archive = path.join(root, 'outside', 'big.tar.gz');
    await writeFile(archive, tarGz([...pack, { path: 'evil/big.bin', content: 'x'.repeat(5000) }]));
    const before = await snapshot(root, path.join(home, 'staging'));
    await expect(installPack(archive, { config, archiveLimits: { maxUnpackedBytes: 4096 } })).rejects.toMatchObject({
      code: 'PACK_ARCHIVE_UNSAFE',
      message: expect.stringContaining('more than 4096 bytes'),
    });
    expect(await snapshot(root, path.join(home, 'staging'))).toEqual(before);
  });

  it('stops a download as soon as it is larger than the limit', async () => {
    const random = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251));
    const server = await serveFiles(new Map([['/huge.tar.gz', random]]));
    try {
      const before = await snapshot(root, path.join(home, 'staging'));
      await expect(installPack(`${server.url}/huge.tar.gz`, { config, archiveLimits: { maxDownloadBytes: 4096 } })).rejects.toMatchObject({
        code: 'PACK_ARCHIVE_UNSAFE',
        message: expect.stringContaining('larger than 4096 bytes'),
      });
      expect(await snapshot(root, path.join(home, 'staging'))).toEqual(before);
      expect(await readdir(path.join(home, 'staging'))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('installs a safe archive with a top folder and an inner link, from a file and from a URL', async () => {
    const good = [
      ...packEntries('good-1.0.0', { ref: 'good', version: '1.0.0' }),
      { path: 'good-1.0.0/actions/alias.sh', type: 'symlink' as const, linkpath: '../README.md' },
      { path: 'good-1.0.0/README.md', content: 'hello' },
    ];
    const archive = path.join(root, 'good-1.0.0.tar.gz');
    await writeFile(archive, tarGz(good));
    const fromFile = await installPack(archive, { config });
    expect(fromFile.installed.map((p) => [p.ref, p.version, p.source])).toEqual([['good', '1.0.0', archive]]);
    expect(await readlink(path.join(home, 'packs', 'good', 'actions', 'alias.sh'))).toBe('../README.md');

    const server = await serveFiles(new Map([['/good-2.0.0.tar.gz', tarGz(packEntries('good-2.0.0', { ref: 'good', version: '2.0.0' }))]]));
    try {
      const fromUrl = await installPack(`${server.url}/good-2.0.0.tar.gz`, { config });
      expect(fromUrl.installed.map((p) => [p.ref, p.version])).toEqual([['good', '2.0.0']]);
      await expect(installPack(`${server.url}/missing.tar.gz`, { config })).rejects.toMatchObject({ code: 'PACK_DOWNLOAD_FAILED' });
    } finally {
      await server.close();
    }
  });
});
