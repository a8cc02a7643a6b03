import dns from 'node:dns';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net, { type AddressInfo, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type St2Execution } from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, realPython, type PackrunHome } from '../runner/fixtures.ts';
import { sshServerUnavailable, startSshServer, type SshServer } from '../runner/ssh-server.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * The SSH runners connect from the runtime itself (as StackStorm's runner process does), as root,
 * on the host's network. An operator (who may run actions) tries to make them reach the host's own
 * services, to smuggle shell code or ssh options through parameters, to log in with key files of
 * the host, and to read back the credentials of others from what Packrun stores, logs and prints.
 */
const unavailable = sshServerUnavailable();
let ssh: SshServer;
let scratch: string;
let home: PackrunHome;
/** A service of the host on loopback that nothing allows: it counts the connections it gets. */
let internal: Server;
let internalPort = 0;
let internalHits = 0;

function lanAddress(): string | undefined {
  return Object.values(os.networkInterfaces()).flat().find((info) => info?.family === 'IPv4' && !info.internal)?.address;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'packrun-ssh-attacks-'));
  internal = net.createServer((socket) => {
    internalHits += 1;
    socket.end('SSH-2.0-internal\r\n');
  });
  internalPort = await new Promise<number>((resolve) => internal.listen(0, '0.0.0.0', () => resolve((internal.address() as AddressInfo).port)));
  if (unavailable) return;
  ssh = await startSshServer();
  home = await homeWithPacks(['core'], { PACKRUN_SSH_ALLOW: `127.0.0.1:${ssh.port}`, PACKRUN_SSH_USER: ssh.user, PACKRUN_SSH_KEY_FILE: ssh.keyFile });
}, 120_000);

afterAll(async () => {
  internal?.close();
  await ssh?.stop();
  await rm(scratch, { recursive: true, force: true });
});

function remote(input: Record<string, unknown>) {
  return runAction({ paths: home.paths, config: home.config, ref: 'core.remote', input, datastore: new LocalFileKeyValues(home.paths) });
}

describe.skipIf(unavailable !== undefined)(`SSH to the runtime's own host${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it.each([
    ['a loopback service by address', () => `127.0.0.1:${internalPort}`],
    ['the same by the name localhost', () => `localhost:${internalPort}`],
    ['the same as 127.1', () => `127.1:${internalPort}`],
    ['the same as 0.0.0.0', () => `0.0.0.0:${internalPort}`],
    ['the same over IPv6 loopback', () => `[::1]:${internalPort}`],
    ['the same as an IPv4-mapped IPv6 address', () => `[::ffff:127.0.0.1]:${internalPort}`],
    ['the host\'s own LAN address', () => `${lanAddress() ?? '127.0.0.1'}:${internalPort}`],
    ['the allowed sshd\'s address on another port (RabbitMQ\'s)', () => '127.0.0.1:5672'],
    ['the cloud metadata address', () => '169.254.169.254'],
  ])('refuses %s before connecting', async (_label, host) => {
    await expect(remote({ hosts: host(), cmd: 'true', password: 'x' })).rejects.toMatchObject({ code: 'SSH_DESTINATION_REFUSED' });
    expect(internalHits).toBe(0);
  });

  it('refuses the whole list when one host is the runtime\'s own: the allowed one is not contacted either', async () => {
    const marker = `/tmp/packrun-ssh-half-${Date.now()}`;
    await expect(remote({ hosts: `127.0.0.1:${ssh.port},localhost:${internalPort}`, cmd: `touch ${marker}` })).rejects.toMatchObject({ code: 'SSH_DESTINATION_REFUSED' });
    expect(existsSync(marker)).toBe(false);
    expect(internalHits).toBe(0);
  });

  it('refuses a bastion on the runtime\'s own host', async () => {
    await expect(remote({ hosts: 'example.invalid', bastion_host: `127.0.0.1:${internalPort}`, cmd: 'true' })).rejects.toMatchObject({ code: 'SSH_DESTINATION_REFUSED' });
    expect(internalHits).toBe(0);
  });

  it('connects to the very address it checked: a name resolving to the host the second time gains nothing', async () => {
    // The test's sshd listens on 127.0.0.1 and 127.0.0.2; only 127.0.0.2 is allowed here. The
    // resolver is replaced (getaddrinfo cannot be made to flip without changing the machine's):
    // the first answer is the allowed address, every later one the loopback.
    const config = loadConfig({ ...home.env, PACKRUN_SSH_ALLOW: `127.0.0.2:${ssh.port}` });
    const real = dns.promises.lookup;
    let calls = 0;
    const spy = vi.spyOn(dns.promises, 'lookup').mockImplementation((async (hostname: string, options: unknown) => {
      if (hostname !== 'rebind.example') return (real as (...args: unknown[]) => unknown)(hostname, options);
      calls += 1;
      return [{ address: calls === 1 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
    }) as unknown as typeof dns.promises.lookup);
    try {
      const run = () => runAction({ paths: home.paths, config, ref: 'core.remote', input: { hosts: 'rebind.example', port: ssh.port, cmd: 'echo "$SSH_CONNECTION"' }, datastore: new LocalFileKeyValues(home.paths) });
      const first = await run();
      expect(first.status).toBe('succeeded');
      expect((first.result['rebind.example'] as Record<string, unknown>)['stdout']).toMatch(new RegExp(` 127\\.0\\.0\\.2 ${ssh.port}$`));
      expect(calls).toBe(1);
      await expect(run()).rejects.toMatchObject({ code: 'SSH_DESTINATION_REFUSED' });
    } finally {
      spy.mockRestore();
    }
  });

  it('still reaches what the operator allowed', async () => {
    expect(await remote({ hosts: '127.0.0.1', port: ssh.port, cmd: 'echo reached' })).toMatchObject({ status: 'succeeded', result: { '127.0.0.1': { stdout: 'reached' } } });
  });
});

describe.skipIf(unavailable !== undefined)('hostile parameters', () => {
  it.each([
    ['an ssh option', '-oProxyCommand=touch /tmp/packrun-pwned'],
    ['a shell command', 'web1;touch /tmp/packrun-pwned'],
    ['a command substitution', '$(touch /tmp/packrun-pwned)'],
    ['a space', 'web1 -p 2222'],
    ['a user part', 'root@web1'],
    ['a newline', 'web1\n-oProxyCommand=x'],
    ['a NUL', 'web1\0.example'],
    ['port 0', 'web1:0'],
    ['a port past 65535', 'web1:99999'],
    ['an unclosed bracket', '[::1'],
    ['brackets around a name', '[web1]:22'],
    ['a label starting with -', 'a.-b.example'],
  ])('refuses a host with %s, naming the parameter', async (_label, host) => {
    await expect(remote({ hosts: `127.0.0.1:${ssh.port},${host}`, cmd: 'true' })).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'hosts' } });
    await expect(remote({ hosts: '127.0.0.1', port: ssh.port, bastion_host: host, cmd: 'true' })).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'bastion_host' } });
    expect(existsSync('/tmp/packrun-pwned')).toBe(false);
  });

  it('refuses a user name that is not one', async () => {
    for (const username of ['-oProxyCommand=x', 'a b', 'a;b', `${'a'.repeat(65)}`]) {
      await expect(remote({ hosts: '127.0.0.1', port: ssh.port, username, cmd: 'true' }), username).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'username' } });
    }
  });

  it('quotes env values and cwd: shell syntax in them stays text on the remote host', async () => {
    const marker = path.join(scratch, 'injected');
    const values = [`'; touch ${marker}; '`, `$(touch ${marker})`, `\`touch ${marker}\``, `"; touch ${marker}; "`, `a\ntouch ${marker}`, `\\'; touch ${marker} #`];
    for (const value of values) {
      const outcome = await remote({ hosts: '127.0.0.1', port: ssh.port, env: { VALUE: value }, cmd: 'printf v=%s "$VALUE"' });
      expect(outcome.result['127.0.0.1'], value).toMatchObject({ stdout: `v=${value}`, succeeded: true });
      const cwd = await remote({ hosts: '127.0.0.1', port: ssh.port, cwd: value, cmd: 'true' });
      expect(cwd.status, value).toBe('failed');
      const sudo = await runAction({ paths: home.paths, config: home.config, ref: 'core.remote_sudo', input: { hosts: '127.0.0.1', port: ssh.port, sudo_password: ssh.password, env: { VALUE: value }, cmd: 'printf v=%s "$VALUE"' }, datastore: new LocalFileKeyValues(home.paths) });
      expect(sudo.result['127.0.0.1'], value).toMatchObject({ stdout: expect.stringContaining(`v=${value}`), succeeded: true });
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses env names that are not shell variable names', async () => {
    for (const name of ['A B', 'A=B', 'A;touch x', '1A', '$(x)']) {
      await expect(remote({ hosts: '127.0.0.1', port: ssh.port, env: { [name]: 'v' }, cmd: 'true' }), name).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'env' } });
    }
  });

  it('does not log in with a key file of the host the operator did not allow, and does not say which path it was', async () => {
    const hostKey = path.join(ssh.dir, 'host_key');
    for (const keyPath of [hostKey, '/etc/shadow', `${ssh.dir}/../${path.basename(ssh.dir)}/host_key`, 'user_key']) {
      const error = await remote({ hosts: '127.0.0.1', port: ssh.port, private_key: keyPath, cmd: 'true' }).catch((caught: unknown) => caught);
      expect(error, keyPath).toMatchObject({ code: 'SSH_KEY_PATH_REFUSED' });
      expect(JSON.stringify(error)).not.toContain(keyPath);
      expect((error as Error).message).not.toContain(keyPath);
    }
  });
});

describe.skipIf(unavailable !== undefined)('credentials never show', () => {
  let server: PackrunProcess;
  let env: Record<string, string>;
  let operator: (body: unknown) => Promise<St2Execution>;
  const canary = { password: 'canary-password-5e1f', passphrase: 'canary-passphrase-77ab', sudo: 'canary-sudo-9c3d' };

  beforeAll(async () => {
    const apiPort = await freePort();
    env = {
      PACKRUN_HOME: path.join(scratch, 'up-home'),
      PACKRUN_PYTHON: realPython(),
      PACKRUN_API_PORT: String(apiPort),
      PACKRUN_API_URL: `http://127.0.0.1:${apiPort}`,
      PACKRUN_LOG_LEVEL: 'debug',
      PACKRUN_SSH_ALLOW: `127.0.0.1:${ssh.port}`,
      PACKRUN_SSH_USER: ssh.user,
    };
    server = startPackrun(['up'], env);
    await server.waitForOutput(/packrun is up/, 120_000);
    const admin = await apiAt(env['PACKRUN_API_URL']!, env['PACKRUN_HOME']!);
    const key = (await admin.call<{ key: string }>('POST', '/api/v1/apikeys', { user: 'mallory', role: 'operator' })).body.key;
    operator = async (body) => {
      const response = await admin.call<St2Execution>('POST', '/api/v1/executions', body, { 'x-api-key': key });
      expect(response.status).toBe(201);
      let done: St2Execution | undefined;
      await retryUntil(async () => {
        done = (await admin.call<St2Execution>('GET', `/api/v1/executions/${response.body.id}`, undefined, { 'x-api-key': key })).body;
        return ['succeeded', 'failed', 'timeout'].includes(done.status);
      }, { what: 'the execution to end', withinMs: 60_000 });
      // A large result is kept beside the record: the whole of it is what is checked.
      if (done?.result_omitted) {
        done = { ...done!, result: (await admin.call<Record<string, unknown>>('GET', `/api/v1/executions/${done!.id}/result`, undefined, { 'x-api-key': key })).body };
      }
      return done!;
    };
  }, 180_000);

  afterAll(() => {
    server?.signal('SIGKILL');
  });

  async function everythingStored(): Promise<string> {
    const store = path.join(env['PACKRUN_HOME']!, 'store');
    const files = await readdir(store, { recursive: true, withFileTypes: true });
    const contents = await Promise.all(files.filter((entry) => entry.isFile()).map((entry) => readFile(path.join(entry.parentPath, entry.name)).then((bytes) => bytes.toString('latin1'))));
    return contents.join('\n');
  }

  it('a password, a private key, its passphrase and a sudo password appear in no record, log, stored file or printed command', async () => {
    const keyMaterial = ssh.keyMaterial;
    // A key body line: unique enough to find anywhere it would be copied.
    const keyLine = keyMaterial.split('\n')[2]!;
    const runs = [
      await operator({ action: 'core.remote', parameters: { hosts: `127.0.0.1:${ssh.port}`, password: canary.password, cmd: 'true' } }),
      await operator({ action: 'core.remote', parameters: { hosts: `127.0.0.1:${ssh.port}`, private_key: keyMaterial, passphrase: canary.passphrase, cmd: 'true' } }),
      // The right password, so sudo runs and the process list is there to read.
      await operator({ action: 'core.remote_sudo', parameters: { hosts: `127.0.0.1:${ssh.port}`, password: ssh.password, sudo_password: canary.sudo, cmd: 'ps -eo args | grep -F -e "sudo -S"' } }),
      await operator({ action: 'core.remote_sudo', parameters: { hosts: `127.0.0.1:${ssh.port}`, password: ssh.password, sudo_password: ssh.password, cmd: 'ps -eo args | grep -F -e "sudo -S"' } }),
    ];
    expect(runs.map((run) => run.status)).toEqual(['failed', 'succeeded', 'failed', 'succeeded']);
    // The remote host's process list, read while sudo ran, has no password either.
    expect(JSON.stringify(runs[3]!.result), JSON.stringify(runs[3])).toContain('sudo -S -E -- bash -c');
    const printed = await runPackrunCli(
      ['run', 'core.remote_sudo', `hosts=127.0.0.1:${ssh.port}`, `password=${canary.password}`, `sudo_password=${canary.sudo}`, 'cmd=id', '--print-command'],
      env,
    );
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('sudo -S -E -- bash -c');
    const printedKey = await runPackrunCli(['run', 'core.remote', `hosts=127.0.0.1:${ssh.port}`, '--params-json', JSON.stringify({ private_key: keyMaterial, passphrase: canary.passphrase }), 'cmd=id', '--print-command'], env);
    expect(printedKey.code).toBe(0);
    const seen = [JSON.stringify(runs), server.output(), printed.stdout, printed.stderr, printedKey.stdout, printedKey.stderr, await everythingStored()].join('\n');
    for (const secret of [canary.password, canary.passphrase, canary.sudo, ssh.password, keyLine]) expect(seen, secret).not.toContain(secret);
  });
});
