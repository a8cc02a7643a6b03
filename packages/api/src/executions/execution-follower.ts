import { isCompleted, openExecutionOutputPieces, type ExecutionRecord, type ExecutionStatus, type OutputChunkEvent, type Store } from '@packrun/core';
import type { ExecutionHubEvent } from '../event-hub.ts';

type Stream = OutputChunkEvent['stream'];
const streams: Stream[] = ['stdout', 'stderr'];

/** Characters of stored output sent per event when catching up. */
const catchUpChunkChars = 64 * 1024;

/**
 * Where an execution's output stream ends (st2's CLOSE_STREAM_LIVEACTION_STATES: completed,
 * pausing, resuming), and where nothing comes until someone acts (paused; pending, an inquiry):
 * a reader waiting there would wait for a person.
 */
export function endsOutputStream(status: ExecutionStatus): boolean {
  return isCompleted(status) || status === 'pausing' || status === 'resuming' || status === 'paused' || status === 'pending';
}

/**
 * What one execution's output stream sends, in an order a reader can trust: all its output
 * before the end. Output and state changes travel separately (two topics; over RabbitMQ
 * two queues, which keep no order between them), and the output of an execution that completed
 * before the reader attached is no longer live anywhere. So on completion the stored output is
 * compared with what was sent, and what is missing is sent first, from the store.
 *
 * Output sent live is a prefix of what the action printed as long as its chunks arrived in order
 * (`seq` from 0 without a gap); the stored output is a prefix too (the first PACKRUN_OUTPUT_CAP
 * bytes). Where a gap was seen (a reader attached after the live buffer filled), nothing is
 * added for that stream: the stored output cannot be lined up with what was sent.
 */
export class ExecutionFollower {
  private readonly sentChars: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly sentBytes: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly nextSeq: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly gap: Record<Stream, boolean> = { stdout: false, stderr: false };
  private done = false;

  constructor(
    private readonly store: Store,
    private readonly send: (chunk: OutputChunkEvent) => void,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  /** Sends an output chunk unless it was sent already (replayed, then seen live). */
  output(chunk: OutputChunkEvent): void {
    if (this.done || chunk.seq < this.nextSeq[chunk.stream]) return;
    if (chunk.seq > this.nextSeq[chunk.stream]) this.gap[chunk.stream] = true;
    this.nextSeq[chunk.stream] = chunk.seq + 1;
    this.sentChars[chunk.stream] += chunk.data.length;
    this.sentBytes[chunk.stream] += Buffer.byteLength(chunk.data, 'utf8');
    this.send(chunk);
  }

  /**
   * A live event: output is sent; a completion first sends the stored output not yet sent and
   * finishes; a pause or a wait for a person finishes (endsOutputStream).
   */
  async event(item: ExecutionHubEvent): Promise<void> {
    if (this.done) return;
    if (item.topic === 'execution-output') {
      this.output(item.event);
      return;
    }
    if (!endsOutputStream(item.event.status)) return;
    this.done = true;
    if (!isCompleted(item.event.status)) return;
    const record = await this.store.executions.get(item.event.executionId).catch(() => undefined);
    if (record !== undefined) await this.catchUp(record);
  }

  /** The snapshot of an execution already completed: all its stored output, then the end. */
  async completed(record: ExecutionRecord): Promise<void> {
    this.done = true;
    await this.catchUp(record);
  }

  /** The snapshot of an execution paused or waiting for a person: the end, the output so far sent. */
  stop(): void {
    this.done = true;
  }

  /**
   * Sends the stored output not sent yet, in the order it was written (store/output-replay.ts:
   * streamed, interleaved by the record's run list, stdout then stderr without one), each stream
   * past the text that went out live. Nothing is read when every stream was sent whole or has a gap.
   */
  private async catchUp(record: ExecutionRecord): Promise<void> {
    const missing = (stream: Stream): boolean => !this.gap[stream] && (record.outputSize?.[stream] ?? Number.POSITIVE_INFINITY) > this.sentBytes[stream];
    if (!streams.some(missing)) return;
    // Characters of each stream's stored text replayed so far; the first sentChars went out live.
    const replayed: Record<Stream, number> = { stdout: 0, stderr: 0 };
    try {
      for await (const { stream, text } of await openExecutionOutputPieces(this.store.executionBlobs, record)) {
        const from = Math.max(0, this.sentChars[stream] - replayed[stream]);
        replayed[stream] += text.length;
        if (this.gap[stream] || from >= text.length) continue;
        this.sendStored(record.id, stream, text.slice(from));
      }
    } catch {
      // The stored output cannot be read (a blob lost): the reader keeps what it got.
    }
  }

  private sendStored(executionId: string, stream: Stream, text: string): void {
    for (let start = 0; start < text.length; start += catchUpChunkChars) {
      const data = text.slice(start, start + catchUpChunkChars);
      this.send({ executionId, stream, seq: this.nextSeq[stream], data });
      this.nextSeq[stream] += 1;
      this.sentChars[stream] += data.length;
    }
  }
}
