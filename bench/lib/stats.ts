/** Percentile by nearest rank over the samples (milliseconds or any unit). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(samples: number[]): { p50: number; p99: number; n: number } {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

/** Times `run` `count` times in a row, in milliseconds; a run that returns a number times itself. */
export async function timeEach(count: number, run: (index: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const own = await run(index);
    samples.push(typeof own === 'number' ? own : performance.now() - started);
  }
  return samples;
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
