import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real OpenSSH server (Debian's openssh-server, which scripts/setup.sh installs as root) of the
 * test's own: its own config, host key and authorized_keys, listening on a random port of
 * 127.0.0.1, and a user of its own with a password, a key and sudo rights (sudo asks for the
 * password). Needs root (to create the user and let sshd switch to it).
 */
export interface SshServer {
  port: number;
  user: string;
  password: string;
  /** The user's private key: its path and its material. */
  keyFile: string;
  keyMaterial: string;
  /** The server's host key line as known_hosts holds it, for 127.0.0.1:port. */
  knownHostsLine: string;
  dir: string;
  stop(): Promise<void>;
}

export const sshdPath = '/usr/sbin/sshd';

/** Why the SSH tests cannot run here, or undefined when they can. */
export function sshServerUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the SSH tests need root (a test user, sshd switching to it)';
  try {
    execFileSync(sshdPath, ['-V'], { stdio: 'ignore' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `${sshdPath} is missing: run scripts/setup.sh as root (it installs openssh-server and sudo)`;
  }
  try {
    execFileSync('sudo', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'sudo is missing: run scripts/setup.sh as root';
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function waitForListening(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log()}`)), 15_000);
    const onData = (): void => {
      if (/Server listening on/.test(log())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log()}`));
    });
  });
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    // Two addresses, so that three host names reach it (127.0.0.1, localhost, 127.0.0.2).
    'ListenAddress 127.0.0.1',
    'ListenAddress 127.0.0.2',
    `HostKey ${path.join(dir, 'host_key')}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}/%u`,
    // The key files live under /tmp, which is world-writable: StrictModes would refuse them.
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

export async function startSshServer(): Promise<SshServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-sshd-'));
  const user = `prs${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'packrun-test-host', '-f', path.join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'packrun-test-user', '-f', path.join(dir, 'user_key')]);
  execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', user]);
  execFileSync('chpasswd', { input: `${user}:${password}\n` });
  writeFileSync(`/etc/sudoers.d/${user}`, `${user} ALL=(ALL) ALL\n`, { mode: 0o440 });
  // sshd reads authorized_keys as the user logging in.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'authorized_keys'), { mode: 0o755 });
  writeFileSync(path.join(dir, 'authorized_keys', user), readFileSync(path.join(dir, 'user_key.pub')), { mode: 0o644 });
  // sshd's privilege separation folder, which the Debian package's service would make.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let log = '';
  let port = 0;
  let child: ChildProcess | undefined;
  const remove = (): void => {
    rmSync(`/etc/sudoers.d/${user}`, { force: true });
    try {
      execFileSync('userdel', ['--remove', '--force', user], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // The free port may be taken between the probe and sshd's bind: try another one.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    const config = path.join(dir, 'sshd_config');
    writeFileSync(config, sshdConfig(dir, port));
    log = '';
    const started = spawn(sshdPath, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    try {
      await waitForListening(started, () => log);
      child = started;
    } catch (error) {
      started.kill('SIGKILL');
      if (attempt < 3 && /Address already in use/.test(log)) continue;
      remove();
      throw error;
    }
  }
  const server = child;
  const hostKey = readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/);
  return {
    port,
    user,
    password,
    keyFile: path.join(dir, 'user_key'),
    keyMaterial: readFileSync(path.join(dir, 'user_key'), 'utf8'),
    knownHostsLine: `[127.0.0.1]:${port} ${hostKey[0]} ${hostKey[1]}`,
    dir,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
      // Sessions still open hold processes of the user: userdel --force removes it anyway.
      try {
        execFileSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
      } catch {
        // None left.
      }
      remove();
    },
  };
}
