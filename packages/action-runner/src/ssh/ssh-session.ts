import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { knownHostKeyAlgorithms, verifyHostKey } from './known-hosts.ts';
import { connectResolved, type ResolvedHost } from './ssh-destination.ts';
import type { SshHost } from './ssh-hosts.ts';

export interface SshLogin {
  username: string;
  password?: string;
  privateKey?: string | Buffer;
  passphrase?: string;
}

interface HostKeyPolicy {
  file: string;
  mode: 'strict' | 'accept-new' | 'off';
}

/** A connection or login that did not succeed; the message names the host and says why. */
export class SshConnectFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConnectFailed';
  }
}

interface SessionOptions {
  target: SshHost;
  /** Where the TCP connection goes: the target, or the bastion when there is one. */
  firstHop: ResolvedHost;
  bastion?: SshHost;
  login: SshLogin;
  hostKeys: HostKeyPolicy;
  connectTimeoutMs: number;
  signal: AbortSignal;
}

function loginMethods(login: SshLogin): string {
  return login.password !== undefined ? 'password' : 'public key';
}

/** What went wrong in the handshake, in words that name the host and never a credential. */
function handshakeError(host: SshHost, login: SshLogin, error: Error & { level?: string }, hostKeyRefusal: string | undefined): SshConnectFailed {
  const where = `host ${host.hostname} port ${host.port}`;
  if (hostKeyRefusal !== undefined) return new SshConnectFailed(`Host key verification failed for ${where}: ${hostKeyRefusal}`);
  if (error.level === 'client-authentication') {
    return new SshConnectFailed(`Authentication failed on ${where} for user ${login.username} (tried: ${loginMethods(login)})`);
  }
  if (/Timed out while waiting for handshake/.test(error.message)) return new SshConnectFailed(`No SSH handshake with ${where} in time`);
  return new SshConnectFailed(`Failed connecting to ${where}: ${error.message}`);
}

/** SSH over `sock` to `host`: the host key checked against known_hosts, then the login. */
/**
 * ssh2 (with its optional native crypto bindings) is loaded by the first SSH connection, not with
 * the runner: most runtimes never run a remote-shell action, and every CLI command would pay for it.
 */
async function sshClient(): Promise<typeof Client> {
  return (await import('ssh2')).Client;
}

async function handshake(sock: Duplex, host: SshHost, options: SessionOptions): Promise<Client> {
  const { login, hostKeys } = options;
  const algorithms = hostKeys.mode === 'off' ? undefined : await knownHostKeyAlgorithms(hostKeys.file, host.hostname, host.port);
  const SshClient = await sshClient();
  return new Promise((resolve, reject) => {
    const client = new SshClient();
    let hostKeyRefusal: string | undefined;
    client.once('ready', () => {
      client.removeAllListeners('error');
      // Errors after the login end the connection; the operations in flight report them.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', (error) => {
      client.end();
      reject(handshakeError(host, login, error, hostKeyRefusal));
    });
    try {
      client.connect({
        sock,
        username: login.username,
        ...(login.password !== undefined ? { password: login.password } : {}),
        ...(login.privateKey !== undefined ? { privateKey: login.privateKey } : {}),
        ...(login.passphrase !== undefined ? { passphrase: login.passphrase } : {}),
        readyTimeout: options.connectTimeoutMs,
        tryKeyboard: false,
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          if (hostKeys.mode === 'off') {
            verify(true);
            return;
          }
          verifyHostKey({ file: hostKeys.file, mode: hostKeys.mode, hostname: host.hostname, port: host.port, key }).then(
            (verdict) => {
              if (!verdict.accepted) hostKeyRefusal = verdict.reason;
              verify(verdict.accepted);
            },
            (error: unknown) => {
              hostKeyRefusal = `${hostKeys.file} cannot be read or written: ${(error as Error).message}`;
              verify(false);
            },
          );
        },
        ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
      });
    } catch (error) {
      // ssh2 parses the key before connecting: a bad key, or a wrong or missing passphrase.
      sock.destroy();
      reject(new SshConnectFailed(`The private key for host ${host.hostname} cannot be used: ${(error as Error).message.replace(/^Cannot parse privateKey: /, '')}`));
    }
  });
}

function forwardThrough(bastion: Client, target: SshHost): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, target.hostname, target.port, (error, channel) => {
      if (error) reject(new SshConnectFailed(`The bastion could not reach host ${target.hostname} port ${target.port}: ${error.message}`));
      else resolve(channel);
    });
  });
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  truncated: { stdout: boolean; stderr: boolean };
  exitCode: number | null;
  /** Stopped by the timeout or a cancel before the command ended. */
  stopped?: 'timeout' | 'canceled';
}

interface ExecOptions {
  /** First line on the command's input (the sudo password), then the input stays open until the end. */
  firstLine?: string;
  timeoutMs: number;
  /** Time the remote watchdog gets to stop the command after its input ends. */
  stopGraceMs: number;
  outputCapBytes: number;
  signal: AbortSignal;
}

/** Keeps the first `cap` bytes of a stream. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  add(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One SSH connection to one host (through the bastion's when there is one). */
export class SshSession {
  private constructor(
    private readonly client: Client,
    private readonly bastion: Client | undefined,
  ) {}

  static async open(options: SessionOptions): Promise<SshSession> {
    const socket = await connectResolved(options.firstHop, options.connectTimeoutMs, options.signal).catch((error: Error) => {
      throw new SshConnectFailed(`Failed connecting to host ${options.firstHop.host.hostname} port ${options.firstHop.host.port}: ${error.message}`);
    });
    // A cancel during the handshakes ends them at once instead of at the connect timeout.
    const onAbort = (): void => {
      socket.destroy(new Error('canceled'));
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (options.bastion === undefined) return new SshSession(await handshake(socket, options.target, options), undefined);
      const bastion = await handshake(socket, options.bastion, options);
      try {
        const tunnel = await forwardThrough(bastion, options.target);
        return new SshSession(await handshake(tunnel, options.target, options), bastion);
      } catch (error) {
        bastion.end();
        throw error;
      }
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Runs one command line and collects its output until it ends. At the timeout, or a cancel, the
   * command's input is closed (the remote watchdog then stops its process group) and what it
   * printed so far is returned once it is gone, or after the grace.
   */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) {
          reject(error);
          return;
        }
        const stdout = new CappedOutput(options.outputCapBytes);
        const stderr = new CappedOutput(options.outputCapBytes);
        let exitCode: number | null = null;
        let stopped: ExecResult['stopped'];
        let graceTimer: NodeJS.Timeout | undefined;
        let settled = false;
        const settle = (): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearTimeout(graceTimer);
          options.signal.removeEventListener('abort', onAbort);
          resolve({
            stdout: stdout.bytes(),
            stderr: stderr.bytes(),
            truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
            exitCode,
            ...(stopped ? { stopped } : {}),
          });
        };
        const stop = (why: 'timeout' | 'canceled'): void => {
          if (stopped !== undefined) return;
          stopped = why;
          channel.end();
          // The watchdog has had its grace: whatever is left (a dead connection), stop waiting.
          graceTimer = setTimeout(() => {
            channel.close();
            settle();
          }, options.stopGraceMs);
        };
        const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
        const onAbort = (): void => stop('canceled');
        options.signal.addEventListener('abort', onAbort, { once: true });
        channel.on('data', (chunk: Buffer) => stdout.add(chunk));
        channel.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));
        channel.on('exit', (code: number | null) => {
          exitCode = typeof code === 'number' ? code : null;
        });
        channel.once('close', settle);
        if (options.firstLine !== undefined) channel.write(`${options.firstLine}\n`);
        if (options.signal.aborted) onAbort();
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))));
  }

  /** Makes `folder` (mode 0700) and writes each file into it, creating sub-folders as listed. */
  async upload(folder: string, files: ReadonlyArray<{ path: string; data: Buffer; mode: number } | { path: string; folder: true }>): Promise<void> {
    const sftp = await this.sftp();
    try {
      const mkdir = (remote: string): Promise<void> =>
        new Promise((resolve, reject) => sftp.mkdir(remote, { mode: 0o700 }, (error) => (error ? reject(new Error(`mkdir ${remote}: ${error.message}`)) : resolve())));
      await mkdir(folder);
      for (const file of files) {
        const remote = `${folder}/${file.path}`;
        if ('folder' in file) {
          await mkdir(remote);
          continue;
        }
        await new Promise<void>((resolve, reject) =>
          sftp.writeFile(remote, file.data, { mode: file.mode }, (error) => (error ? reject(new Error(`writing ${remote}: ${error.message}`)) : resolve())),
        );
        // The server's umask applies to the mode given at creation; the script needs its execute bit.
        await new Promise<void>((resolve, reject) => sftp.chmod(remote, file.mode, (error) => (error ? reject(new Error(`chmod ${remote}: ${error.message}`)) : resolve())));
      }
    } finally {
      sftp.end();
    }
  }

  close(): void {
    this.client.end();
    this.bastion?.end();
  }
}
