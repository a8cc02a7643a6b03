type Stream = 'stdout' | 'stderr';

const sinks: Record<Stream, NodeJS.WriteStream> = { stdout: process.stdout, stderr: process.stderr };

/**
 * Writes an action's output to this process's stdout and stderr as it comes, remembering which
 * streams it showed and which it left mid-line: stored output loses its final newline (as
 * StackStorm's results do), and a status or result printed after it must start a line of its own.
 */
export class OutputEcho {
  readonly shown: Record<Stream, boolean> = { stdout: false, stderr: false };
  private readonly openLine: Record<Stream, boolean> = { stdout: false, stderr: false };
  private last: Stream | undefined;

  write(stream: Stream, data: string | Uint8Array): void {
    if (data.length === 0) return;
    this.shown[stream] = true;
    this.last = stream;
    sinks[stream].write(data);
    const end = typeof data === 'string' ? data.charCodeAt(data.length - 1) : data[data.length - 1];
    this.openLine[stream] = end !== 0x0a;
  }

  /**
   * Ends the line left open on `next`, the stream printed on next, and on the stream written
   * last: where both streams go to one terminal, that is the line the next print would join.
   */
  endOpenLine(next: Stream): void {
    for (const stream of new Set([next, this.last])) {
      if (stream === undefined || !this.openLine[stream]) continue;
      sinks[stream].write('\n');
      this.openLine[stream] = false;
    }
  }
}
