import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAddressFile } from '@packrun/core';
import { runPackrunCli } from '../helpers/packrun-cli.ts';

/**
 * The CLI sends its API key (a system_admin's) to the address in PACKRUN_HOME/run/api.json. A
 * file someone else could write (another uid, a job's uid, a file or folder others may write) would
 * let them point the CLI at a listener of theirs and collect the key: such a file is ignored, with
 * a warning, and the key goes nowhere.
 */
const cliKey = 'packrun-cli-key-that-must-not-leak';
let home: string;
let file: string;
let listener: http.Server;
let url: string;
const seen: string[] = [];

/** An address file naming a live process (this one), so only its ownership can make the CLI ignore it. */
async function plantAddressFile(): Promise<void> {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await chmod(path.dirname(file), 0o755);
  await rm(file, { force: true });
  await writeFile(file, JSON.stringify({ url, pid: process.pid, startTime, bootId, host: os.hostname(), startedAt: new Date().toISOString() }), { mode: 0o644 });
}

const packrun = () => runPackrunCli(['key', 'get', 'anything'], { PACKRUN_HOME: home });

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'packrun-address-attack-'));
  file = apiAddressFile(home);
  await mkdir(path.join(home, 'secrets'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(home, 'secrets', 'cli-api-key'), `${cliKey}\n`, { mode: 0o600 });
  listener = http.createServer((request, response) => {
    seen.push(String(request.headers['x-api-key'] ?? ''));
    response.writeHead(request.url === '/api/v1/health' ? 200 : 404, { 'content-type': 'application/json' });
    response.end('{}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  await rm(home, { recursive: true, force: true });
});

describe('a planted PACKRUN_HOME/run/api.json', () => {
  it('is followed when this user wrote it and no one else may (the control: the attack needs only that)', async () => {
    await plantAddressFile();
    seen.length = 0;
    await packrun();
    expect(seen).toContain(cliKey);
  });

  it.skipIf(process.getuid?.() !== 0)('is ignored, with a warning, when another uid owns it: the key is not sent', async () => {
    await plantAddressFile();
    await chown(file, 1_000_123, 1_000_123);
    seen.length = 0;
    const run = await packrun();
    expect(seen).toEqual([]);
    expect(run.stderr).toContain(`packrun: warning: ignoring ${file}: ${file} belongs to uid 1000123`);
    // It then works on the store, as with no server: the key does not exist there.
    expect(run.stderr).toContain('KEY_NOT_FOUND');
  });

  it('is ignored when other users may write the file or its folder', async () => {
    await plantAddressFile();
    await chmod(file, 0o666);
    seen.length = 0;
    const writableFile = await packrun();
    expect(seen).toEqual([]);
    expect(writableFile.stderr).toContain(`${file} is writable by other users (mode 666)`);

    await plantAddressFile();
    await chmod(path.dirname(file), 0o777);
    seen.length = 0;
    const writableFolder = await packrun();
    expect(seen).toEqual([]);
    expect(writableFolder.stderr).toContain(`${path.dirname(file)} is writable by other users (mode 777)`);
  });
});
