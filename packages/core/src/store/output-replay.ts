import { Readable } from 'node:stream';
import { fitOutputRuns, type OutputRun } from '../process/output-runs.ts';
import { openExecutionOutput } from './execution-data.ts';
import type { ExecutionBlobs, ExecutionRecord } from './types.ts';

/**
 * A completed execution's stdout and stderr as one stream, in the order they came: each stream
 * read as it is stored (a blob is never read whole) and interleaved by the record's run list.
 * Without one (records from before it), or past its end, what is left is stdout, then stderr.
 * The run list is the runner's word, so it is fitted to the stored sizes first, and a cut never
 * falls inside a character even if a run says so: output is only ever reordered, never invented.
 */
export async function openExecutionOutputInOrder(blobs: ExecutionBlobs, record: ExecutionRecord): Promise<Readable> {
  const runs = fitOutputRuns(record.outputRuns, record.outputSize ?? { stdout: Number.MAX_SAFE_INTEGER, stderr: Number.MAX_SAFE_INTEGER }) ?? [];
  const stdout = new StreamBytes(await openExecutionOutput(blobs, record, 'stdout'));
  let stderr: StreamBytes;
  try {
    stderr = new StreamBytes(await openExecutionOutput(blobs, record, 'stderr'));
  } catch (error) {
    await stdout.close();
    throw error;
  }
  return Readable.from(interleave(runs, [stdout, stderr]));
}

async function* interleave(runs: OutputRun[], streams: [StreamBytes, StreamBytes]): AsyncGenerator<Buffer> {
  try {
    for (const [stream, bytes] of runs) yield* streams[stream].take(bytes);
    for (const stream of streams) yield* stream.take(Number.POSITIVE_INFINITY);
  } finally {
    await Promise.all(streams.map((stream) => stream.close()));
  }
}

/** The longest a UTF-8 character runs on past its first byte. */
const maxContinuationBytes = 3;

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;

/** A stored stream read a run at a time, holding at most one of its chunks. */
class StreamBytes {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(stream: Readable) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Up to `bytes` bytes, then the rest of a character the cut would split. */
  async *take(bytes: number): AsyncGenerator<Buffer> {
    let left = bytes;
    while (left > 0 && (await this.fill())) {
      const piece = this.shift(Math.min(left, this.pending.length));
      left -= piece.length;
      yield piece;
    }
    let continued = 0;
    while (continued < maxContinuationBytes && (await this.fill())) {
      let count = 0;
      while (count < this.pending.length && continued + count < maxContinuationBytes && isContinuation(this.pending[count]!)) count += 1;
      if (count === 0) return;
      continued += count;
      yield this.shift(count);
    }
  }

  async close(): Promise<void> {
    if (!this.ended) await this.chunks.return?.();
    this.ended = true;
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
