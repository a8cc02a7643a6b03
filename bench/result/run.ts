/**
 * (g) an 8 MB action result stored and fetched back: POST an execution of an action returning an
 * 8 MiB string, wait for the stream to report it completed, GET the record and, when the result is
 * too large for the record (result_omitted), the whole result from GET /result; `packrun up` as
 * shipped (its own process, sandbox on, warm spawning), this process its HTTP client. Baseline:
 * the same action returning 8 bytes, in the same run.
 * Run: node --import tsx bench/result/run.ts [iterations, default 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBenchPack } from '../lib/bench-home.ts';
import { startPackrunUp } from '../lib/packrun-up.ts';
import { printRows } from '../lib/report.ts';
import { round, summary, timeEach } from '../lib/stats.ts';

const iterations = Number(process.argv[2] ?? 8);
const size = 8 * 1024 * 1024;
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-result-'));
const up = await startPackrunUp();

async function storeAndFetch(n: number): Promise<void> {
  const record = (await up.execute('benchpy.big', { n })) as { id: string; status: string; result?: { result?: unknown }; result_omitted?: boolean };
  // A result over PACKRUN_RESULT_INLINE_BYTES is not in the record: a client fetches it whole.
  const document = record.result_omitted ? (await up.client.request<{ result?: unknown }>('GET', `/api/v1/executions/${record.id}/result`)).body : record.result;
  const result = document?.result;
  if (record.status !== 'succeeded' || typeof result !== 'string' || result.length !== n) {
    throw new Error(`execution ${record.id}: ${record.status}, result of ${typeof result === 'string' ? result.length : typeof result} chars`);
  }
}

try {
  await up.install([writeBenchPack(root, 'benchpy', false)]);
  await storeAndFetch(8);
  await storeAndFetch(size);
  const small = summary(await timeEach(iterations, () => storeAndFetch(8)));
  const large = summary(await timeEach(iterations, () => storeAndFetch(size)));
  printRows('8 MB result', [
    {
      name: '(g) 8 MiB result stored and fetched back, packrun up as shipped, p50',
      value: round(large.p50 / 1000, 3),
      unit: 's',
      baseline: { name: '8-byte result p50', value: round(small.p50 / 1000, 3) },
      target: { text: '≤ 0.3 s', met: large.p50 / 1000 <= 0.3 },
      note: `\`packrun up\` as shipped in its own process (sandbox: ${up.layers || 'as packrun doctor reports it'}), this process its HTTP client; the result crosses the job's control channel, is stored in the embedded store, reported on the event stream and fetched back over HTTP.`,
    },
  ]);
} finally {
  await up.close();
  rmSync(root, { recursive: true, force: true });
}
