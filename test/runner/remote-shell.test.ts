import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type PackrunConfig } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, repoRoot, type PackrunHome } from './fixtures.ts';
import { sshServerUnavailable, startSshServer, type SshServer } from './ssh-server.ts';

/**
 * core.remote and the remote-shell runners against a real OpenSSH server of the test's own on
 * 127.0.0.1 (a random port), which the runner may reach only because PACKRUN_SSH_ALLOW names that
 * port. "127.0.0.1" and "localhost" stand for two hosts.
 */
const unavailable = sshServerUnavailable();
let server: SshServer;
let home: PackrunHome;

beforeAll(async () => {
  if (unavailable) return;
  server = await startSshServer();
  home = await homeWithPacks(['core'], {
    PACKRUN_SSH_ALLOW: `127.0.0.1:${server.port},127.0.0.2:${server.port},[::1]:${server.port}`,
    PACKRUN_SSH_USER: server.user,
    PACKRUN_SSH_KEY_FILE: server.keyFile,
  });
  await installPack([path.join(repoRoot, 'test/runner/packs/remote_shell')], { config: home.config });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function run(ref: string, input: Record<string, unknown>, config: PackrunConfig = home.config, signal?: AbortSignal) {
  return runAction({ paths: home.paths, config, ref, input, datastore: new LocalFileKeyValues(home.paths), ...(signal ? { signal } : {}) });
}

function withEnv(extra: Record<string, string>): PackrunConfig {
  return loadConfig({ ...home.env, PACKRUN_SSH_ALLOW: `127.0.0.1:${server.port},127.0.0.2:${server.port},[::1]:${server.port}`, PACKRUN_SSH_USER: server.user, PACKRUN_SSH_KEY_FILE: server.keyFile, ...extra });
}

describe.skipIf(unavailable !== undefined)(`remote-shell-cmd against a real sshd${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('runs a command on several hosts in parallel and keys the result by host, as StackStorm does', async () => {
    // StackStorm works on a third of the hosts plus one at once: two of these three. Each waits
    // (5 s at most) until two have started, which one host after the other never reaches.
    const folder = `/tmp/packrun-parallel-${Date.now()}`;
    const cmd = `mkdir -p ${folder} && touch ${folder}/$$; i=0; while [ "$(ls ${folder} | wc -l)" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; [ "$(ls ${folder} | wc -l)" -ge 2 ] && echo "$(whoami) in $(pwd)"; echo warn >&2`;
    const outcome = await run('remote_shell.on_all', { hosts: '127.0.0.1, localhost,127.0.0.2', port: server.port, cmd });
    const entry = { stdout: `${server.user} in /tmp`, stderr: 'warn', return_code: 0, succeeded: true, failed: false };
    expect(outcome.result).toEqual({ '127.0.0.1': entry, localhost: entry, '127.0.0.2': entry });
    expect(outcome.status).toBe('succeeded');
    execFileSync('rm', ['-rf', folder]);
  });

  it('fails the execution when any host fails, each host with its own code; JSON output is parsed', async () => {
    // One host after the other (core.remote is not parallel): the second finds the folder made.
    const folder = `/tmp/packrun-once-${Date.now()}`;
    const outcome = await run('core.remote', { hosts: `127.0.0.1:${server.port},localhost:${server.port}`, cmd: `mkdir ${folder} || exit 3; echo '{"a": [1, 2]}'` });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['127.0.0.1']).toEqual({ stdout: { a: [1, 2] }, stderr: '', return_code: 0, succeeded: true, failed: false });
    expect(outcome.result['localhost']).toMatchObject({ stdout: '', stderr: expect.stringContaining('File exists'), return_code: 3, succeeded: false, failed: true });
    execFileSync('rmdir', [folder]);
    // StackStorm's allow_partial_failure: one host that succeeded is enough.
    const partial = await run('core.remote', { hosts: `127.0.0.1:${server.port},localhost:${server.port}`, cmd: `mkdir ${folder} || exit 3` }, withEnv({ PACKRUN_SSH_ALLOW_PARTIAL_FAILURE: 'true' }));
    expect(partial.status).toBe('succeeded');
    execFileSync('rmdir', [folder]);
  });

  it('exports env and changes to cwd, both quoted: no value is read as shell code', async () => {
    const marker = path.join(server.dir, 'injected');
    const hostile = `x'; touch ${marker}; echo '$(touch ${marker})\`touch ${marker}\``;
    const outcome = await run('core.remote', {
      hosts: '127.0.0.1',
      port: server.port,
      cwd: '/',
      env: { GREETING: hostile, PLAIN: 'a b' },
      cmd: 'printf "%s|%s|%s|%s" "$GREETING" "$PLAIN" "$(pwd)" "$ST2_ACTION_PACK_NAME"',
    });
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result['127.0.0.1'] as Record<string, unknown>)['stdout']).toBe(`${hostile}|a b|/|core`);
    const cwd = await run('core.remote', { hosts: '127.0.0.1', port: server.port, cwd: `/tmp; touch ${marker}`, cmd: 'pwd' });
    expect(cwd.status).toBe('failed');
    expect(existsSync(marker)).toBe(false);
  });

  it('runs with sudo: the password goes to sudo on its input, and a wrong one is reported as such', async () => {
    const outcome = await run('core.remote_sudo', { hosts: '127.0.0.1', port: server.port, sudo_password: server.password, env: { KEPT: 'yes' }, cmd: 'echo "$(id -u) $KEPT $(pwd)"' });
    expect(outcome.result['127.0.0.1']).toMatchObject({ stdout: expect.stringMatching(/^(\[sudo\] password for \S+: )?0 yes \/tmp$/), return_code: 0, succeeded: true });
    expect(outcome.status).toBe('succeeded');
    const wrong = await run('core.remote_sudo', { hosts: '127.0.0.1', port: server.port, sudo_password: 'not-it', cmd: 'id -u' });
    expect(wrong.status).toBe('failed');
    expect(wrong.result['127.0.0.1']).toMatchObject({ failed: true, error: `Invalid sudo password provided or sudo is not configured for this user (${server.user})` });
  });

  it('kills the remote command at the timeout: status timeout, the process gone from the host', async () => {
    const tag = `packrun-timeout-${Date.now()}`;
    const started = Date.now();
    const outcome = await run('core.remote', { hosts: '127.0.0.1', port: server.port, timeout: 2, cmd: `echo started; sleep 300 && echo ${tag}; sleep 301` });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(outcome.status).toBe('timeout');
    expect(outcome.result['127.0.0.1']).toMatchObject({ timeout: true, return_code: -9, stdout: 'started', failed: true });
    await retryUntil(() => !execFileSync('ps', ['-u', server.user, '-o', 'args='], { encoding: 'utf8' }).includes('sleep 300'), { what: 'the remote sleep to be killed', withinMs: 5000 });
  });

  it('logs in with a password, with key material and with the operator\'s key file', async () => {
    for (const login of [{ password: server.password }, { private_key: server.keyMaterial }, {}]) {
      const outcome = await run('core.remote', { hosts: '127.0.0.1', port: server.port, cmd: 'echo in', ...login });
      expect(outcome.status, JSON.stringify(Object.keys(login))).toBe('succeeded');
    }
  });

  it('logs in with a passphrase-protected key, and with a key file the operator allowed by folder', async () => {
    const protectedKey = path.join(server.dir, 'protected_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', protectedKey]);
    execFileSync('sh', ['-c', `cat ${protectedKey}.pub >> ${path.join(server.dir, 'authorized_keys', server.user)}`]);
    const material = readFileSync(protectedKey, 'utf8');
    const unlocked = await run('core.remote', { hosts: '127.0.0.1', port: server.port, private_key: material, passphrase: 'open sesame', cmd: 'echo in' });
    expect(unlocked.status).toBe('succeeded');
    const wrong = await run('core.remote', { hosts: '127.0.0.1', port: server.port, private_key: material, passphrase: 'nope', cmd: 'echo in' });
    expect(wrong.status).toBe('failed');
    expect(String((wrong.result['127.0.0.1'] as Record<string, unknown>)['error'])).toMatch(/^The private key for host 127\.0\.0\.1 cannot be used: /);
    const byPath = await run('core.remote', { hosts: '127.0.0.1', port: server.port, private_key: protectedKey, passphrase: 'open sesame', cmd: 'echo in' }, withEnv({ PACKRUN_SSH_KEY_PATHS: server.dir }));
    expect(byPath.status).toBe('succeeded');
  });

  it('goes through a bastion host, logged in to with the same credentials', async () => {
    // The bastion is the test's sshd on 127.0.0.1; from there it reaches "localhost" on the same port.
    // No port on the bastion: it is reached on the hosts' port, as StackStorm does.
    const outcome = await run('core.remote', { hosts: 'localhost', port: server.port, bastion_host: '127.0.0.1', password: server.password, cmd: 'echo "$SSH_CONNECTION"' });
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result['localhost'] as Record<string, unknown>)['stdout']).toMatch(new RegExp(` ${server.port}$`));
  });

  it('a cancel stops the remote command too', async () => {
    const controller = new AbortController();
    const running = run('core.remote', { hosts: '127.0.0.1', port: server.port, timeout: 60, cmd: 'sleep 302' }, home.config, controller.signal);
    await retryUntil(() => execFileSync('ps', ['-u', server.user, '-o', 'args='], { encoding: 'utf8' }).includes('sleep 302'), { what: 'the remote sleep to start', withinMs: 10_000 });
    controller.abort();
    const outcome = await running;
    expect(outcome.status).toBe('canceled');
    await retryUntil(() => !execFileSync('ps', ['-u', server.user, '-o', 'args='], { encoding: 'utf8' }).includes('sleep 302'), { what: 'the remote sleep to be killed', withinMs: 5000 });
  });

  it('keeps each host\'s output up to PACKRUN_OUTPUT_CAP and says it was cut', async () => {
    const outcome = await run('core.remote', { hosts: '127.0.0.1', port: server.port, cmd: 'head -c 10000 /dev/zero | tr "\\0" a' }, withEnv({ PACKRUN_OUTPUT_CAP: '4096' }));
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result['127.0.0.1'] as Record<string, unknown>)['stdout']).toBe('a'.repeat(4096));
    expect(outcome.truncated).toEqual({ stdout: true, stderr: false });
  });

  it('says when there is nothing to log in with, before contacting any host', async () => {
    const noKey = withEnv({ PACKRUN_SSH_KEY_FILE: '' });
    await expect(run('core.remote', { hosts: '127.0.0.1', port: server.port, cmd: 'true' }, noKey)).rejects.toMatchObject({ code: 'SSH_CREDENTIALS_MISSING' });
    await expect(run('core.remote', { hosts: '127.0.0.1', port: server.port, passphrase: 'x', cmd: 'true' }, noKey)).rejects.toMatchObject({ code: 'PARAMETER_INVALID', details: { parameter: 'passphrase' } });
  });

  it('names the host when the login fails', async () => {
    const outcome = await run('core.remote', { hosts: '127.0.0.1', port: server.port, password: 'wrong', cmd: 'true' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['127.0.0.1']).toMatchObject({
      failed: true,
      return_code: 255,
      error: `Authentication failed on host 127.0.0.1 port ${server.port} for user ${server.user} (tried: password)`,
    });
  });

  it('strict host key checking refuses a host whose key is not on file or does not match', async () => {
    const knownHosts = path.join(home.home, 'strict_known_hosts');
    writeFileSync(knownHosts, `[127.0.0.1]:${server.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
    const strict = withEnv({ PACKRUN_SSH_KNOWN_HOSTS: knownHosts, PACKRUN_SSH_HOST_KEY_CHECKING: 'strict' });
    const wrongKey = await run('core.remote', { hosts: '127.0.0.1', port: server.port, cmd: 'true' }, strict);
    expect(wrongKey.status).toBe('failed');
    expect(String((wrongKey.result['127.0.0.1'] as Record<string, unknown>)['error'])).toMatch(/^Host key verification failed for host 127\.0\.0\.1 port \d+: the ssh-ed25519 host key of \[127\.0\.0\.1\]:\d+ does not match/);
    const unknown = await run('core.remote', { hosts: 'localhost', port: server.port, cmd: 'true' }, strict);
    expect(String((unknown.result['localhost'] as Record<string, unknown>)['error'])).toContain('has no host key in');
    writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
    const right = await run('core.remote', { hosts: '127.0.0.1', port: server.port, cmd: 'true' }, strict);
    expect(right.status).toBe('succeeded');
  });

  it('accept-new records a new host\'s key on first contact', async () => {
    const knownHosts = path.join(home.home, 'new_known_hosts');
    const outcome = await run('core.remote', { hosts: '127.0.0.1', port: server.port, cmd: 'true' }, withEnv({ PACKRUN_SSH_KNOWN_HOSTS: knownHosts }));
    expect(outcome.status).toBe('succeeded');
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${server.knownHostsLine}\n`);
  });
});

describe.skipIf(unavailable !== undefined)('remote-shell-script against a real sshd', () => {
  it('copies the script and its lib folder, runs it with StackStorm\'s arguments, then removes it', async () => {
    const outcome = await run('remote_shell.script', { hosts: '127.0.0.1', port: server.port, first: "it's one", second: 2, loud: true, label: 'a b', cwd: '/' });
    expect(outcome.status).toBe('succeeded');
    const stdout = String((outcome.result['127.0.0.1'] as Record<string, unknown>)['stdout']).split('\n');
    expect(stdout[0]).toBe('hello from lib');
    const script = stdout[1]!.replace(/^script=/, '');
    expect(script).toMatch(/^\/tmp\/[A-Za-z0-9_-]+\/script\.sh$/);
    expect(stdout.slice(2)).toEqual(['cwd=/', 'arg=--loud', 'arg=--label=a b', "arg=it's one", 'arg=2']);
    expect(existsSync(path.dirname(script))).toBe(false);
  });
});
