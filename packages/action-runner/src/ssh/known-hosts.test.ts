import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownHostKeyAlgorithms, verifyHostKey } from './known-hosts.ts';

function keyBlob(type: string, body: string): Buffer {
  const name = Buffer.from(type);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, Buffer.from(body)]);
}

const ed = keyBlob('ssh-ed25519', 'server-key-one');
const other = keyBlob('ssh-ed25519', 'server-key-two');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

function knownHosts(lines: string[]): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'packrun-known-hosts-')), 'known_hosts');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('known_hosts checks', () => {
  it('matches plain, [host]:port, hashed, wildcard and negated names', async () => {
    const file = knownHosts([
      '# a comment',
      `web1,web2 ssh-ed25519 ${ed.toString('base64')}`,
      `[db.example]:2222 ssh-ed25519 ${ed.toString('base64')}`,
      `${hashed('secret.example')} ssh-ed25519 ${ed.toString('base64')}`,
      `*.fleet.example,!bad.fleet.example ssh-ed25519 ${ed.toString('base64')}`,
    ]);
    const check = (hostname: string, port = 22) => verifyHostKey({ file, mode: 'strict', hostname, port, key: ed });
    for (const [hostname, port] of [['web2', 22], ['db.example', 2222], ['secret.example', 22], ['a.fleet.example', 22]] as const) {
      expect(await check(hostname, port), hostname).toEqual({ accepted: true });
    }
    for (const [hostname, port] of [['db.example', 22], ['web1', 2222], ['bad.fleet.example', 22], ['other', 22]] as const) {
      expect((await check(hostname, port)).accepted, `${hostname}:${port}`).toBe(false);
    }
  });

  it('refuses a changed key in every mode, and a revoked one', async () => {
    const file = knownHosts([`web1 ssh-ed25519 ${ed.toString('base64')}`, `@revoked * ssh-ed25519 ${other.toString('base64')}`]);
    const changed = await verifyHostKey({ file, mode: 'accept-new', hostname: 'web1', port: 22, key: keyBlob('ssh-ed25519', 'third') });
    expect(changed).toMatchObject({ accepted: false, reason: expect.stringContaining('does not match the key on file') });
    const revoked = await verifyHostKey({ file, mode: 'accept-new', hostname: 'new-host', port: 22, key: other });
    expect(revoked).toMatchObject({ accepted: false, reason: expect.stringContaining('@revoked') });
  });

  it('accept-new records an unknown host once, then holds it to that key', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'packrun-known-hosts-')), 'ssh', 'known_hosts');
    expect(await verifyHostKey({ file, mode: 'accept-new', hostname: 'web9', port: 2200, key: ed })).toEqual({ accepted: true, recorded: true });
    expect(readFileSync(file, 'utf8')).toBe(`[web9]:2200 ssh-ed25519 ${ed.toString('base64')}\n`);
    expect(await verifyHostKey({ file, mode: 'accept-new', hostname: 'web9', port: 2200, key: ed })).toEqual({ accepted: true });
    expect((await verifyHostKey({ file, mode: 'accept-new', hostname: 'web9', port: 2200, key: other })).accepted).toBe(false);
    expect(await knownHostKeyAlgorithms(file, 'web9', 2200)).toEqual(['ssh-ed25519']);
    expect(await knownHostKeyAlgorithms(file, 'web10', 22)).toBeUndefined();
  });
});
