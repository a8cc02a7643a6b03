import { maxFrameBytes } from './messages.ts';

/** Encodes one message as a frame: 4-byte big-endian length, then the UTF-8 JSON. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxFrameBytes) {
    throw new FrameError(`frame of ${body.length} bytes exceeds the ${maxFrameBytes}-byte limit`);
  }
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

export class FrameError extends Error {
  override name = 'FrameError';
}

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it returns the complete
 * frames' parsed JSON. It refuses an announced length over the limit before buffering the body,
 * so a hostile child cannot make us allocate it.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly limit: number = maxFrameBytes) {}

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: unknown[] = [];
    for (;;) {
      if (this.buffered < 4) return frames;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.limit) throw new FrameError(`frame of ${length} bytes exceeds the ${this.limit}-byte limit`);
      if (this.buffered < 4 + length) return frames;
      const all = this.take(4 + length);
      const text = all.subarray(4).toString('utf8');
      try {
        frames.push(JSON.parse(text));
      } catch {
        throw new FrameError('frame is not valid JSON');
      }
    }
  }

  /** Bytes of an incomplete frame still buffered (non-zero at end of stream means a cut frame). */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}
