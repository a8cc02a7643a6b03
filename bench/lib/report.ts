/**
 * What every bench script prints last: one line `BENCH_RESULT <json>` that bench/run-all.ts
 * collects into BENCHMARKS.md. Each figure sits beside the baseline measured in the same run.
 */
export interface BenchRow {
  /** The letter and what is measured, e.g. "(a) trivial Python action, p50". */
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** The target as text ("≤ 5 ms") and whether the value meets it. */
  target?: { text: string; met: boolean };
  /** Why a target is missed, or what else the reader must know. */
  note?: string;
  /** How the ratio reads: a time (faster/slower, the default), a rate (more is better) or a
   * size (shown as a multiple of the baseline). */
  compare?: 'time' | 'rate' | 'size';
}

export function ratioText(row: BenchRow): string {
  if (!row.baseline || !Number.isFinite(row.baseline.value) || row.value === 0) return '';
  if (row.compare === 'size') return `${(row.value / row.baseline.value).toFixed(1)}× the baseline`;
  const ratio = row.compare === 'rate' ? row.value / row.baseline.value : row.baseline.value / row.value;
  const [better, worse] = row.compare === 'rate' ? ['more', 'less'] : ['faster', 'slower'];
  return ratio >= 1 ? `${ratio.toFixed(1)}× ${better}` : `${(1 / ratio).toFixed(1)}× ${worse}`;
}

export function printRows(title: string, rows: BenchRow[]): void {
  process.stdout.write(`\n${title}\n`);
  for (const row of rows) {
    const baseline = row.baseline ? `  (baseline ${row.baseline.name}: ${row.baseline.value} ${row.unit}; ${ratioText(row)})` : '';
    const target = row.target ? `  target ${row.target.text}: ${row.target.met ? 'met' : 'MISSED'}` : '';
    process.stdout.write(`  ${row.name}: ${row.value} ${row.unit}${baseline}${target}\n`);
    if (row.note) process.stdout.write(`    ${row.note}\n`);
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ title, rows })}\n`);
}
