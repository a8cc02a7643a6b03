import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, loadInstalledPackMetadata, readInstalledPack } from '@packrun/core';
import { repoRoot } from '../runner/fixtures.ts';
import { sshServerUnavailable, startSshServer, type SshServer } from '../runner/ssh-server.ts';
import { homeWithPackFolders, type ExchangeHome } from './exchange-home.ts';

// fpm 1.0.0: fifteen actions, every one on StackStorm's remote-shell-cmd runner, whose `cmd`
// defaults are templates over the action's parameters and the runner's own `dir`.
const unavailable = sshServerUnavailable();
let ssh: SshServer | undefined;
let pack: ExchangeHome;

beforeAll(async () => {
  if (!unavailable) ssh = await startSshServer();
  pack = await homeWithPackFolders([path.join(repoRoot, 'test/fixtures/exchange/fpm')], ssh ? {
    PACKRUN_SSH_ALLOW: `127.0.0.1:${ssh.port}`,
    PACKRUN_SSH_USER: ssh.user,
    PACKRUN_SSH_KEY_FILE: ssh.keyFile,
  } : {});
}, 120_000);

afterAll(async () => {
  await ssh?.stop();
});

describe('fpm (StackStorm-Exchange/stackstorm-fpm, unmodified)', () => {
  it('installs with all of its remote-shell actions registered and runnable', async () => {
    const paths = dataPaths(pack.home);
    const loaded = await loadInstalledPackMetadata(paths, await readInstalledPack(paths, 'fpm'));
    expect(loaded.problems).toEqual([]);
    expect(loaded.actions).toHaveLength(15);
    for (const action of loaded.actions) {
      expect(action.runnerType, action.name).toBe('remote-shell-cmd');
      expect(action.unavailable, action.name).toBeUndefined();
    }
  });

  it.skipIf(unavailable !== undefined)(`runs load_metadata on a host: cat {{dir}}/{{file}} with the runner's dir${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
    const file = `packrun-fpm-${process.pid}.json`;
    writeFileSync(path.join('/tmp', file), JSON.stringify({ name: 'libpq', version: '1.2.3' }), { mode: 0o644 });
    try {
      const outcome = await pack.run('fpm.load_metadata', { hosts: '127.0.0.1', port: ssh!.port, file });
      expect(outcome.status).toBe('succeeded');
      expect(outcome.result['127.0.0.1']).toMatchObject({ stdout: { name: 'libpq', version: '1.2.3' }, return_code: 0 });
    } finally {
      rmSync(path.join('/tmp', file), { force: true });
    }
  });

  it.skipIf(unavailable !== undefined)('runs create_deb_from_dir with its templated fpm command line (fpm itself is not on this host)', async () => {
    const outcome = await pack.run('fpm.create_deb_from_dir', { hosts: '127.0.0.1', port: ssh!.port, name: 'libpq', version: '0.1.1', input: 'usr' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['127.0.0.1']).toMatchObject({ return_code: 127, stderr: expect.stringMatching(/fpm: (command )?not found/) });
  });
});
