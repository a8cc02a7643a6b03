import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder, type FrameBounds } from '../protocol/framing.ts';
import type { ChildMessage, ParentMessage } from '../protocol/messages.ts';
import { parseChildMessage } from '../protocol/validate.ts';

/**
 * The parent's end of a job's control channel (the child's fd 3). Decodes and validates frames;
 * the first malformed one closes the channel and is reported once through `onProtocolError`.
 */
export class ControlChannel {
  private readonly decoder: FrameDecoder;
  private open = true;
  readonly ended: Promise<void>;

  constructor(
    private readonly socket: Socket,
    handlers: { onMessage: (message: ChildMessage) => void; onProtocolError: (reason: string) => void },
    bounds?: FrameBounds,
  ) {
    this.decoder = new FrameDecoder(bounds);
    this.ended = new Promise((resolve) => {
      socket.once('close', () => resolve());
    });
    socket.on('data', (chunk: Buffer) => {
      if (!this.open) return;
      let messages: ChildMessage[];
      try {
        messages = this.decoder.push(chunk).map(parseChildMessage);
      } catch (error) {
        this.fail(handlers, error instanceof Error ? error.message : String(error));
        return;
      }
      for (const message of messages) handlers.onMessage(message);
    });
    socket.on('end', () => {
      if (this.open && this.decoder.pending > 0) this.fail(handlers, 'control channel closed in the middle of a frame');
      this.open = false;
    });
    // A child that exits while we write gets EPIPE: that is the child's exit, reported elsewhere.
    socket.on('error', () => {
      this.open = false;
    });
  }

  /** Sends a message if the child is still listening; returns false when it no longer is. Throws FrameError for an oversize message. */
  send(message: ParentMessage): boolean {
    return this.sendFrame(encodeFrame(message));
  }

  sendFrame(frame: Buffer): boolean {
    if (!this.open || this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(frame);
    return true;
  }

  close(): void {
    this.open = false;
    this.socket.destroy();
  }

  private fail(handlers: { onProtocolError: (reason: string) => void }, reason: string): void {
    this.open = false;
    handlers.onProtocolError(reason);
    this.socket.destroy();
  }
}
