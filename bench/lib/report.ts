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
  /** The target as text ("≤ 5 ms"), whether the value meets it, and its number when it is one
   * in the row's own unit (to say by how much a miss misses). */
  target?: { text: string; met: boolean; limit?: number };
  /** What else the reader must know about the figure. */
  note?: string;
  /** What bounds the figure, shown when its target is missed. */
  bound?: string;
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

/** "2.5× the target" for a missed numeric target, in the direction the row's unit reads. */
export function missText(row: BenchRow): string {
  const limit = row.target?.limit;
  if (row.target?.met !== false || limit === undefined || row.value === 0) return '';
  const factor = row.compare === 'rate' ? limit / row.value : row.value / limit;
  return row.compare === 'rate' ? `${factor.toFixed(1)}× short of the target` : `${factor.toFixed(1)}× the target`;
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
