import { randomBytes } from 'node:crypto';
import net, { type Server, type Socket } from 'node:net';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { StreamTag } from './zygote-protocol.ts';

export interface JobSockets {
  stdout: Socket;
  stderr: Socket;
  control: Socket;
  /** Bytes that arrived on stdout/stderr right behind the header, before handlers were attached. */
  early: { stdout: Buffer[]; stderr: Buffer[] };
}

type StreamName = 'stdout' | 'stderr' | 'control';
const tags = new Map<string, StreamName>([
  [StreamTag.stdout, 'stdout'],
  [StreamTag.stderr, 'stderr'],
  [StreamTag.control, 'control'],
]);

/**
 * The per-execution meeting point of a forked child and the runner. Node cannot receive file
 * descriptors, so instead of passing pipes the child connects to a socket the runner listens on,
 * once per stream, each connection opening with the execution's random token and a stream tag.
 * The socket is in Linux's abstract namespace (no file appears anywhere), or for a child without
 * the host's network namespace a path in a folder only the runtime and its zygote see. The listener
 * closes as soon as the three connections are in, before the action's code runs; closing removes
 * a path socket's file.
 */
export class JobStreamListener {
  readonly token = randomBytes(16).toString('hex');
  readonly address: string;
  private readonly server: Server;
  private readonly found = new Map<StreamName, Socket>();
  private readonly early = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  private settle!: { resolve: (sockets: JobSockets) => void; reject: (error: Error) => void };
  readonly connected: Promise<JobSockets>;

  private constructor(socketDir: string | undefined) {
    this.address = socketDir ? path.join(socketDir, `${this.token}.sock`) : `\0packrun-job-${this.token}`;
    this.connected = new Promise<JobSockets>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.connected.catch(() => undefined);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** `socketDir`: a folder for a path socket instead (a child in another network namespace cannot reach an abstract one). */
  static async open(socketDir?: string): Promise<JobStreamListener> {
    const listener = new JobStreamListener(socketDir);
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(listener.address, () => resolve());
    });
    // A sandboxed zygote's child connects as the zygote's uid; the folder (the zygote's alone)
    // is what keeps everyone else out.
    if (socketDir) await chmod(listener.address, 0o666);
    return listener;
  }

  /** Stops waiting (the child died before connecting, or the job was given up). */
  abandon(reason: Error): void {
    if (this.found.size === tags.size) return;
    this.server.close();
    for (const socket of this.found.values()) socket.destroy();
    this.settle.reject(reason);
  }

  private accept(socket: Socket): void {
    const headerSize = this.token.length + 1;
    let header = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      header = Buffer.concat([header, chunk]);
      if (header.length < headerSize) return;
      socket.off('data', onData);
      socket.pause();
      const name = tags.get(header.subarray(this.token.length, headerSize).toString('latin1'));
      if (header.subarray(0, this.token.length).toString('latin1') !== this.token || !name || this.found.has(name)) {
        socket.destroy();
        return;
      }
      const rest = header.subarray(headerSize);
      if (rest.length > 0) {
        if (name === 'control') socket.unshift(rest);
        else this.early[name].push(rest);
      }
      this.found.set(name, socket);
      if (this.found.size === tags.size) {
        this.server.close();
        this.settle.resolve({
          stdout: this.found.get('stdout')!,
          stderr: this.found.get('stderr')!,
          control: this.found.get('control')!,
          early: this.early,
        });
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  }
}
