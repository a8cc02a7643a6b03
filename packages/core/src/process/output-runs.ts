/**
 * The order in which a job wrote its output, kept beside stdout and stderr (which are stored
 * apart) so that a completed execution's output can be replayed as it came, as st2 shows it.
 * A run is `[stream, bytes]`: stream 0 is stdout, 1 stderr; bytes count the stream's *stored*
 * text in UTF-8 (what `outputSize` counts), so runs cut the stored strings where the capture
 * cut them, never inside a character.
 */
export type OutputRun = [stream: 0 | 1, bytes: number];

export type OutputStream = 'stdout' | 'stderr';

/**
 * The most runs kept (about 12 bytes each as JSON: under 50 KiB in the record). Output that
 * alternates more often than this keeps its order for the first runs only; the rest is replayed
 * as before: what remains of stdout, then what remains of stderr.
 */
export const maxOutputRuns = 4096;

const streamIndex = (stream: OutputStream): 0 | 1 => (stream === 'stdout' ? 0 : 1);

/** Records runs as output arrives, merging each run into the previous one of the same stream. */
export class OutputRunRecorder {
  private readonly list: OutputRun[] = [];
  /** Once a run did not fit, nothing more is recorded: a later run would be put before the one dropped. */
  private full = false;

  constructor(private readonly max = maxOutputRuns) {}

  add(stream: OutputStream, bytes: number): void {
    if (bytes <= 0 || this.full) return;
    const index = streamIndex(stream);
    const last = this.list.at(-1);
    if (last !== undefined && last[0] === index) last[1] += bytes;
    else if (this.list.length < this.max) this.list.push([index, bytes]);
    else this.full = true;
  }

  /**
   * Bytes a stream's text gained when it ended (the replacement for a character the cap or the
   * end cut short): they belong where that stream's last bytes were, at the end of its last run.
   */
  closeStream(stream: OutputStream, bytes: number): void {
    if (bytes <= 0 || this.full) return;
    const index = streamIndex(stream);
    const last = this.list.findLast((run) => run[0] === index);
    if (last) last[1] += bytes;
    else this.add(stream, bytes);
  }

  get runs(): OutputRun[] {
    return this.list.map((run) => [run[0], run[1]]);
  }
}

/**
 * A run list as it can be trusted against the output stored: undefined unless `runs` is a list of
 * at most maxOutputRuns `[0|1, positive integer]` pairs; otherwise each run cut to what is left
 * of its stream in `sizes`, empty runs dropped and neighbours of one stream merged. It comes from
 * the runner (over HTTP for a remote one), so nothing in it is taken on trust.
 */
export function fitOutputRuns(runs: unknown, sizes: { stdout: number; stderr: number }): OutputRun[] | undefined {
  if (!Array.isArray(runs) || runs.length > maxOutputRuns || !runs.every(isRun)) return undefined;
  const left = [sizes.stdout, sizes.stderr];
  const fitted: OutputRun[] = [];
  for (const [stream, bytes] of runs as OutputRun[]) {
    const taken = Math.min(bytes, left[stream]!);
    if (taken <= 0) continue;
    left[stream]! -= taken;
    const last = fitted.at(-1);
    if (last !== undefined && last[0] === stream) last[1] += taken;
    else fitted.push([stream, taken]);
  }
  return fitted;
}

function isRun(run: unknown): run is OutputRun {
  return Array.isArray(run) && run.length === 2 && (run[0] === 0 || run[0] === 1) && Number.isSafeInteger(run[1]) && (run[1] as number) > 0;
}
