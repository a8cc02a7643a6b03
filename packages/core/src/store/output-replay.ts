import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fitOutputRuns, type OutputRun, type OutputStream } from '../process/output-runs.ts';
import { openExecutionOutput } from './execution-data.ts';
import type { ExecutionBlobs, ExecutionRecord } from './types.ts';

/** Text of one stream, as a completed execution's output is replayed. */
interface OutputPiece {
  stream: OutputStream;
  text: string;
}

/**
 * A completed execution's stdout and stderr as pieces of text tagged with their stream, in the
 * order they came: each stream read as it is stored (a blob is never read whole) and interleaved
 * by the record's run list. Without one (records from before it), or past its end, what is left
 * is stdout, then stderr. The run list is the runner's word, so it is fitted to the stored sizes
 * first, and a cut never falls inside a character even if a run says so: output is only ever
 * reordered, never invented. Both streams are opened before this returns, so a lost blob fails
 * here rather than part way through; reading the pieces to their end, or leaving a loop over them
 * early, closes them.
 */
export async function openExecutionOutputPieces(blobs: ExecutionBlobs, record: ExecutionRecord): Promise<AsyncGenerator<OutputPiece>> {
  const runs = fitOutputRuns(record.outputRuns, record.outputSize ?? { stdout: Number.MAX_SAFE_INTEGER, stderr: Number.MAX_SAFE_INTEGER }) ?? [];
  const stdout = new StreamText('stdout', await openExecutionOutput(blobs, record, 'stdout'));
  let stderr: StreamText;
  try {
    stderr = new StreamText('stderr', await openExecutionOutput(blobs, record, 'stderr'));
  } catch (error) {
    await stdout.close();
    throw error;
  }
  return interleave(runs, [stdout, stderr]);
}

/** The pieces (openExecutionOutputPieces) as one byte stream: what `output_type=all` serves. */
export async function openExecutionOutputInOrder(blobs: ExecutionBlobs, record: ExecutionRecord): Promise<Readable> {
  const pieces = await openExecutionOutputPieces(blobs, record);
  return Readable.from(asBytes(pieces));
}

async function* asBytes(pieces: AsyncGenerator<OutputPiece>): AsyncGenerator<Buffer> {
  for await (const { text } of pieces) yield Buffer.from(text, 'utf8');
}

async function* interleave(runs: OutputRun[], streams: [StreamText, StreamText]): AsyncGenerator<OutputPiece> {
  try {
    for (const [stream, bytes] of runs) yield* streams[stream].take(bytes);
    for (const stream of streams) yield* stream.rest();
  } finally {
    await Promise.all(streams.map((stream) => stream.close()));
  }
}

/** The longest a UTF-8 character runs on past its first byte. */
const maxContinuationBytes = 3;

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;

/**
 * A stored stream read a run at a time, holding at most one of its chunks, as text: a chunk may
 * end inside a character, which the decoder carries over to the stream's next piece.
 */
class StreamText {
  private readonly chunks: AsyncIterator<Buffer>;
  private readonly decoder = new StringDecoder('utf8');
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(
    private readonly stream: OutputStream,
    readable: Readable,
  ) {
    this.chunks = readable[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Up to `bytes` bytes, then the rest of a character the cut would split. */
  async *take(bytes: number): AsyncGenerator<OutputPiece> {
    let left = bytes;
    while (left > 0 && (await this.fill())) {
      const piece = this.shift(Math.min(left, this.pending.length));
      left -= piece.length;
      yield* this.decoded(piece);
    }
    let continued = 0;
    while (continued < maxContinuationBytes && (await this.fill())) {
      let count = 0;
      while (count < this.pending.length && continued + count < maxContinuationBytes && isContinuation(this.pending[count]!)) count += 1;
      if (count === 0) return;
      continued += count;
      yield* this.decoded(this.shift(count));
    }
  }

  /** All that is left, and the end of the text. */
  async *rest(): AsyncGenerator<OutputPiece> {
    yield* this.take(Number.POSITIVE_INFINITY);
    const text = this.decoder.end();
    if (text !== '') yield { stream: this.stream, text };
  }

  async close(): Promise<void> {
    if (!this.ended) await this.chunks.return?.();
    this.ended = true;
  }

  private *decoded(bytes: Buffer): Generator<OutputPiece> {
    const text = this.decoder.write(bytes);
    if (text !== '') yield { stream: this.stream, text };
  }

  private shift(count: number): Buffer {
    const piece = this.pending.subarray(0, count);
    this.pending = this.pending.subarray(count);
    return piece;
  }

  /** Whether there is a byte pending, reading the next chunk if none is. */
  private async fill(): Promise<boolean> {
    while (this.pending.length === 0 && !this.ended) {
      const next = await this.chunks.next();
      if (next.done === true) this.ended = true;
      else this.pending = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    }
    return this.pending.length > 0;
  }
}
