import { mkdtempSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZygoteStreamListener } from './job-streams.ts';

/** Connects to the listener and sends `header`, as a forked child (or someone posing as one) would. */
function connect(address: string, header: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(address, () => {
      socket.write(header);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('ZygoteStreamListener', () => {
  it("hands over a child's three streams only when each opens with that child's token", async () => {
    const listener = await ZygoteStreamListener.open(mkdtempSync(path.join(os.tmpdir(), 'packrun-streams-')));
    try {
      const first = listener.expect();
      const second = listener.expect();
      expect(first.token).toMatch(/^[0-9a-f]{32}$/);
      expect(second.token).not.toBe(first.token);
      // Another child's token, a guessed one and a stream sent twice get nothing.
      const intruders = await Promise.all([connect(listener.address, `${'0'.repeat(32)}c`), connect(listener.address, `${second.token}x`)]);
      const [stdout, stderr, control] = await Promise.all(['o', 'e', 'c'].map((tag) => connect(listener.address, `${first.token}${tag}early`)));
      const twice = await connect(listener.address, `${first.token}c`);
      const sockets = await first.connected;
      await Promise.all([...intruders, twice].map(closed));
      // The bytes behind the header are the stream's own.
      expect(Buffer.concat(sockets.early.stdout).toString()).toBe('early');
      const received = new Promise<string>((resolve) => sockets.control.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      sockets.control.resume();
      expect(await received).toBe('early');
      // A token is good for one child: the streams are not handed out twice.
      const late = await connect(listener.address, `${first.token}o`);
      await closed(late);
      for (const socket of [stdout!, stderr!, control!]) socket.destroy();
      second.abandon(new Error('the child exited'));
      await expect(second.connected).rejects.toThrow('the child exited');
    } finally {
      listener.close();
    }
  });

  it('refuses a socket path the kernel would cut short', async () => {
    const folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'packrun-streams-')), 'x'.repeat(100));
    await expect(ZygoteStreamListener.open(folder)).rejects.toThrow(/longer than the 107 bytes/);
  });
});
