import { checkJsonBytes, JsonLimitError, type JsonBounds } from '../limits/json-limits.ts';
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

/** The bounds a decoder holds each frame to, and how it names them when one is broken. */
export type FrameBounds = JsonBounds;

/** The protocol's own ceiling, for channels whose frames no setting bounds more tightly. */
const protocolBounds: FrameBounds = {
  limits: { maxBytes: maxFrameBytes, maxDepth: 101, maxStringBytes: maxFrameBytes, maxItems: maxFrameBytes },
  subject: { what: 'a control frame', family: 'INPUT', settings: {} },
};

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it returns the complete
 * frames' parsed JSON. It refuses an announced length over the limit before buffering the body,
 * so a hostile child cannot make us allocate it, and checks each body against the depth, string
 * and item bounds in one pass before parsing it (limits/json-limits.ts): nothing a child sends
 * can make the parse, or anything that later walks the value, recurse without bound.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly limit: number;

  constructor(private readonly bounds: FrameBounds = protocolBounds) {
    this.limit = bounds.limits.maxBytes;
  }

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: unknown[] = [];
    for (;;) {
      if (this.buffered < 4) return frames;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.limit) throw new FrameError(new JsonLimitError(this.bounds.subject, 'bytes', this.limit, length).message);
      if (this.buffered < 4 + length) return frames;
      const body = this.take(4 + length).subarray(4);
      try {
        checkJsonBytes(body, this.bounds.limits, this.bounds.subject);
      } catch (error) {
        throw new FrameError((error as Error).message);
      }
      try {
        frames.push(JSON.parse(body.toString('utf8')));
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
