import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packEntries, tarGz, tempDir, type TarEntry } from '../installer/fixtures.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * POST /api/v1/packs/upload takes a .tar.gz from any admin client, to be unpacked on the server:
 * every archive is hostile. Each attack is sent over real HTTP to `packrun up` as shipped and
 * must be refused with nothing kept in PACKRUN_HOME/uploads.
 */
describe('pack uploads refuse hostile archives', () => {
  let root: string;
  let home: string;
  let server: PackrunProcess;
  let url: string;
  let key: string;

  const upload = async (body: Uint8Array, name = './mypack') => {
    const response = await fetch(new URL(`/api/v1/packs/upload?name=${encodeURIComponent(name)}`, url), {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/gzip' },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as { code?: string; message?: string; source?: string; name?: string } };
  };
  const kept = async () => (await readdir(path.join(home, 'uploads')).catch(() => [] as string[])).sort();

  beforeAll(async () => {
    root = await tempDir('upload-attacks');
    home = path.join(root, 'home');
    server = startPackrun(['up'], { PACKRUN_HOME: home, PACKRUN_API_PORT: '0', PACKRUN_PYTHON: process.env['PACKRUN_PYTHON'] ?? 'python3' });
    await server.waitForOutput(/packrun is up/, 120_000);
    url = (JSON.parse(await readFile(path.join(home, 'run', 'api.json'), 'utf8')) as { url: string }).url;
    key = (await apiAt(url, home)).key;
  }, 180_000);
  afterAll(async () => {
    server?.signal('SIGTERM');
    await server?.exited;
    await rm(root, { recursive: true, force: true });
  });

  const pack = packEntries('mypack', { ref: 'mypack', version: '1.0.0' });
  const attacks: Array<[string, TarEntry[], RegExp]> = [
    ['a symbolic link, even one inside the pack', [...pack, { path: 'mypack/link', type: 'symlink', linkpath: 'pack.yaml' }], /symbolic link/],
    ['a symbolic link to a host file', [...pack, { path: 'mypack/passwd', type: 'symlink', linkpath: '/etc/passwd' }], /symbolic link/],
    ['a hardlink', [...pack, { path: 'mypack/hard', type: 'hardlink', linkpath: 'mypack/pack.yaml' }], /hardlink/],
    ['an absolute path', [...pack, { path: '/etc/cron.d/evil', content: 'x' }], /absolute path/],
    ['a .. path', [...pack, { path: 'mypack/../../evil', content: 'x' }], /`\.\.` path segment/],
    ['a device node', [...pack, { path: 'mypack/dev', type: 'chardev' }], /CharacterDevice entry/],
    ['a FIFO', [...pack, { path: 'mypack/fifo', type: 'fifo' }], /FIFO entry/],
    ['a setuid file', [...pack, { path: 'mypack/suid', content: '#!/bin/sh\n', mode: 0o4755 }], /setuid/],
  ];
  for (const [what, entries, why] of attacks) {
    it(`refuses ${what}, keeping nothing`, async () => {
      const answer = await upload(tarGz(entries));
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('PACK_ARCHIVE_UNSAFE');
      expect(answer.body.message).toMatch(why);
      expect(await kept()).toEqual([]);
    });
  }

  it('refuses more entries than the limit (50,000)', async () => {
    const many: TarEntry[] = [...pack, ...Array.from({ length: 50_001 }, (_, index) => ({ path: `mypack/f${index}`, content: '' }))];
    const answer = await upload(tarGz(many));
    expect(answer.body.code).toBe('PACK_ARCHIVE_UNSAFE');
    expect(answer.body.message).toContain('more than 50000 entries');
    expect(await kept()).toEqual([]);
  }, 60_000);

  it('stops decompressing a gzip bomb at the unpacked-size cap', async () => {
    // 600 MiB of zeros, about 600 KiB compressed: past the 512 MiB unpacked limit.
    const zeros = Buffer.alloc(1024 * 1024);
    const chunks: Buffer[] = [];
    const gzip = createGzip({ level: 9 });
    const done = new Promise<void>((resolve, reject) => {
      gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
      gzip.on('end', resolve);
      gzip.on('error', reject);
    });
    Readable.from((function* () {
      for (let i = 0; i < 600; i++) yield zeros;
    })()).pipe(gzip);
    await done;
    const answer = await upload(Buffer.concat(chunks));
    expect(answer.body.code).toBe('PACK_ARCHIVE_UNSAFE');
    expect(answer.body.message).toMatch(/decompresses to more than \d+ bytes/);
    expect(await kept()).toEqual([]);
  }, 120_000);

  it('refuses a body larger than the upload cap (128 MiB) with HTTP 413', async () => {
    const answer = await upload(Buffer.alloc(129 * 1024 * 1024));
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('PACK_UPLOAD_TOO_LARGE');
    expect(await kept()).toEqual([]);
  }, 120_000);

  it('refuses what is not a .tar.gz', async () => {
    const answer = await upload(Buffer.from('not gzip at all'));
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('PACK_ARCHIVE_INVALID');
    expect(await kept()).toEqual([]);
  });

  it('keeps no terminal control characters of the name it is given', async () => {
    const answer = await upload(tarGz(pack), './my\u001b]0;owned\u0007pack\u001b[2J');
    expect(answer.status).toBe(201);
    expect(answer.body.name).toBe('./my]0;ownedpack[2J');
  });

  it('never reads outside the uploads folder for an install naming upload:<anything>', async () => {
    const api = await apiAt(url, home);
    // A path in it is refused by the API's source check before any execution starts.
    for (const source of ['upload:../../etc/passwd', 'upload:/etc/passwd']) {
      const refused = await api.call<{ code: string }>('POST', '/api/v1/packs/install', { packs: [source] });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('PACK_SOURCE_INVALID');
    }
    // Anything else that is not an upload's id fails in the installer, which reads no file for it.
    for (const source of ['upload:', 'upload:0123456789abcdef', 'upload:..']) {
      const created = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [source] });
      expect(created.status).toBe(202);
      const id = created.body.execution_id;
      let record: { status?: string; error?: { type: string } } = {};
      await retryUntil(async () => {
        record = (await api.call<typeof record>('GET', `/api/v1/executions/${id}`)).body;
        return record.status === 'failed' || record.status === 'succeeded';
      }, { withinMs: 60_000, what: `the install of ${source} ending` });
      expect(record.status).toBe('failed');
      expect(record.error?.type).toBe('PACK_SOURCE_INVALID');
    }
  }, 120_000);
});
