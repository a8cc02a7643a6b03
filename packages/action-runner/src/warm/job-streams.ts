import { randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import net, { type Server, type Socket } from 'node:net';
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

/** Hex characters of a child's token: 128 random bits. */
const tokenLength = 32;
const headerSize = tokenLength + 1;
/** Connections that have not yet shown a token, beyond those the expected children make. */
const spareUnidentified = 4;
/** sun_path holds 108 bytes with the final NUL; Node would silently bind a longer path cut short. */
const maxSocketPathBytes = 107;

interface Expected {
  found: Map<StreamName, Socket>;
  early: { stdout: Buffer[]; stderr: Buffer[] };
  resolve(sockets: JobSockets): void;
  reject(error: Error): void;
}

/** A child's three streams, once it connected them, and how to stop waiting for them. */
export interface ExpectedStreams {
  /** Sent to the child in its fork request only: a connection must open with it. */
  token: string;
  connected: Promise<JobSockets>;
  /** Stops waiting (the child died before connecting, or the job was given up). */
  abandon(reason: Error): void;
}

/**
 * Where the children of one zygote hand the runner their stdout, stderr and control streams.
 * Node cannot receive file descriptors, so a child connects to a socket the runner listens on,
 * once per stream, each connection opening with the token of its fork request and a stream tag.
 *
 * Nothing else can reach it: the socket is a file in a folder of its own (`<jobs>/.zygote-…`),
 * which only the zygote's uid may enter (0700; under the sandbox it is bound read-only into that
 * zygote's mount namespace alone), and a child connects before it drops to its job uid. A name in
 * Linux's abstract socket namespace would instead be listed in /proc/net/unix to every process of
 * the network namespace, and open to all of them. The token proves a connection comes from the
 * child the fork request went to: it travels only on the zygote's own inherited channel, and the
 * runner sends nothing on a stream before all three arrived with it.
 */
export class ZygoteStreamListener {
  readonly address: string;
  private readonly server: Server;
  private readonly expected = new Map<string, Expected>();
  private unidentified = 0;

  private constructor(folder: string) {
    this.address = path.join(folder, 's');
    this.server = net.createServer((socket) => this.accept(socket));
    // It never keeps the runtime alive: whoever waits on a child holds the zygote's channel.
    this.server.unref();
  }

  /** Listens in `folder`, which the caller made the zygote uid's alone. */
  static async open(folder: string): Promise<ZygoteStreamListener> {
    const listener = new ZygoteStreamListener(folder);
    if (Buffer.byteLength(listener.address) > maxSocketPathBytes) {
      throw new Error(`its stream socket ${listener.address} would be longer than the ${maxSocketPathBytes} bytes a UNIX socket path can have (a shorter PACKRUN_HOME keeps warm spawning)`);
    }
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(listener.address, () => resolve());
    });
    // A sandboxed zygote's child connects as the zygote's uid: the folder is what keeps everyone else out.
    await chmod(listener.address, 0o666).catch((error: unknown) => {
      listener.close();
      throw error;
    });
    return listener;
  }

  /** A fresh token for one fork request, and the streams that will come with it. */
  expect(): ExpectedStreams {
    const token = randomBytes(tokenLength / 2).toString('hex');
    let expected!: Expected;
    const connected = new Promise<JobSockets>((resolve, reject) => {
      expected = { found: new Map(), early: { stdout: [], stderr: [] }, resolve, reject };
    });
    connected.catch(() => undefined);
    this.expected.set(token, expected);
    return {
      token,
      connected,
      abandon: (reason) => {
        if (this.expected.get(token) !== expected) return;
        this.expected.delete(token);
        for (const socket of expected.found.values()) socket.destroy();
        expected.reject(reason);
      },
    };
  }

  /** Stops listening (removing the socket file); children still expected are given up. */
  close(): void {
    this.server.close();
    for (const [token, expected] of this.expected) {
      this.expected.delete(token);
      for (const socket of expected.found.values()) socket.destroy();
      expected.reject(new Error('the zygote stream listener closed'));
    }
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    // Only the zygote's uid can connect at all; still, what it opens without a token is bounded.
    if (this.unidentified >= this.expected.size * tags.size + spareUnidentified) {
      socket.destroy();
      return;
    }
    this.unidentified++;
    let identified = false;
    const settle = (): void => {
      if (identified) return;
      identified = true;
      this.unidentified--;
    };
    socket.once('close', settle);
    let header = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      header = Buffer.concat([header, chunk]);
      if (header.length < headerSize) return;
      socket.off('data', onData);
      socket.pause();
      settle();
      const token = header.subarray(0, tokenLength).toString('latin1');
      const expected = this.expected.get(token);
      const name = tags.get(header.subarray(tokenLength, headerSize).toString('latin1'));
      if (!expected || !name || expected.found.has(name)) {
        socket.destroy();
        return;
      }
      const rest = header.subarray(headerSize);
      if (rest.length > 0) {
        if (name === 'control') socket.unshift(rest);
        else expected.early[name].push(rest);
      }
      expected.found.set(name, socket);
      if (expected.found.size < tags.size) return;
      this.expected.delete(token);
      expected.resolve({
        stdout: expected.found.get('stdout')!,
        stderr: expected.found.get('stderr')!,
        control: expected.found.get('control')!,
        early: expected.early,
      });
    };
    socket.on('data', onData);
  }
}
