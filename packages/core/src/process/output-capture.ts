import { CappedOutput } from './capped-output.ts';
import { OutputRunRecorder, type OutputRun, type OutputStream } from './output-runs.ts';

/** What a job's output came to: each stream's kept text, whether the cap cut it, and in which order it came. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
  outputRuns: OutputRun[];
}

/**
 * A job's stdout and stderr, each capped on its own, and the order their kept text arrived in
 * (output-runs.ts). The runs count the text each push added, so they match the stored strings.
 */
export class OutputCapture {
  private readonly streams: Record<OutputStream, CappedOutput>;
  private readonly order = new OutputRunRecorder();

  constructor(capBytes: number) {
    this.streams = { stdout: new CappedOutput(capBytes), stderr: new CappedOutput(capBytes) };
  }

  push(stream: OutputStream, chunk: Buffer): void {
    this.order.add(stream, this.streams[stream].push(chunk));
  }

  /** Bytes the job wrote to both streams, kept or not (what the output limit counts). */
  get totalBytes(): number {
    return this.streams.stdout.totalBytes + this.streams.stderr.totalBytes;
  }

  finish(): CapturedOutput {
    const { stdout, stderr } = this.streams;
    this.order.closeStream('stdout', stdout.end());
    this.order.closeStream('stderr', stderr.end());
    return { stdout: stdout.text(), stderr: stderr.text(), truncated: { stdout: stdout.truncated, stderr: stderr.truncated }, outputRuns: this.order.runs };
  }
}
