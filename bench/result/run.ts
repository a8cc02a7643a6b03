/**
 * (g) an 8 MB action result stored and fetched back: POST an execution of an action returning an
 * 8 MiB string, wait for its final state, GET the record and the whole result (GET /result when it is
 * too large for the record); embedded deployment,
 * warm spawning. Baseline: the same action returning 8 bytes, in the same run.
 * Run: node --import tsx bench/result/run.ts [iterations, default 8]
 */
import { benchHome, installBenchPacks } from '../lib/bench-home.ts';
import { startDeployment } from '../lib/deployment.ts';
import { printRows } from '../lib/report.ts';
import { round, summary, timeEach } from '../lib/stats.ts';

const iterations = Number(process.argv[2] ?? 8);
const size = 8 * 1024 * 1024;
const home = benchHome();
await installBenchPacks(home, [{ ref: 'benchpy', heavy: false }]);
const deployment = await startDeployment(home, { rabbit: false, warm: true });

async function storeAndFetch(n: number): Promise<void> {
  const record = await deployment.execute('benchpy.big', { n });
  // A result over PACKRUN_RESULT_INLINE_BYTES is not in the record: a client fetches it whole.
  const document = record.result !== undefined && !('resultOmitted' in record && record.resultOmitted) ? record.result : await deployment.fetchResult(record.id);
  const result = (document as { result?: unknown }).result;
  if (record.status !== 'succeeded' || typeof result !== 'string' || result.length !== n) {
    throw new Error(`execution ${record.id}: ${record.status}, result of ${typeof result === 'string' ? result.length : typeof result} chars`);
  }
}

try {
  await storeAndFetch(8);
  await storeAndFetch(size);
  const small = summary(await timeEach(iterations, () => storeAndFetch(8)));
  const large = summary(await timeEach(iterations, () => storeAndFetch(size)));
  printRows('8 MB result', [
    {
      name: '(g) 8 MiB result stored and fetched back (REST, embedded), p50',
      value: round(large.p50 / 1000, 3),
      unit: 's',
      baseline: { name: '8-byte result p50', value: round(small.p50 / 1000, 3) },
      target: { text: '≤ 0.3 s', met: large.p50 / 1000 <= 0.3 },
      note: 'the result crosses the control channel, is stored in the embedded store, published as the final state and fetched back by GET.',
    },
  ]);
} finally {
  await deployment.close();
}
