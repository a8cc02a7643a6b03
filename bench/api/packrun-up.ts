/**
 * (c) and (d) as a user meets them: `packrun up` as shipped (bin/packrun, its own process, the
 * sandbox as `packrun doctor` reports it on this host, warm spawning as configured by default),
 * driven by a real HTTP client in this separate process with the key `packrun up` wrote. Request
 * to result = POST /api/v1/executions until the event stream (/stream/v1/stream, which the client
 * follows throughout) reports it completed; executions per second = a burst POSTed at once, until
 * the stream has reported every one completed. The same latency with the record polled every 2 ms
 * instead (what a client without the stream does) is a secondary row. bench/api/run.ts's
 * in-process figures (API, runner and client in one process, no sandbox) are secondary rows too.
 * Run: node --import tsx bench/api/packrun-up.ts [requests, default 60] [burst, default 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBenchPack } from '../lib/bench-home.ts';
import { startPackrunUp, type PackrunUp } from '../lib/packrun-up.ts';
import { printRows, type BenchRow } from '../lib/report.ts';
import { round, summary, timeEach } from '../lib/stats.ts';

const requests = Number(process.argv[2] ?? 60);
const burst = Number(process.argv[3] ?? 200);
const final = new Set(['succeeded', 'failed', 'timeout', 'canceled', 'abandoned']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mustSucceed(id: string, status: string): void {
  if (status !== 'succeeded') throw new Error(`execution ${id} ${status}`);
}

/** POST, then the stream's word that it completed. */
async function executeStreamed(up: PackrunUp, n: number): Promise<void> {
  const id = await up.request('benchpy.trivial', { n });
  mustSucceed(id, await up.stream.completion(id));
}

/** POST, then the record polled every `everyMs` until final. */
async function executePolling(up: PackrunUp, n: number, everyMs: number): Promise<void> {
  const id = await up.request('benchpy.trivial', { n });
  for (;;) {
    const { status, body } = await up.client.request<{ status: string }>('GET', `/api/v1/executions/${id}`);
    // A bench that polls a missing record would wait forever; say what the server answered instead.
    if (status !== 200) throw new Error(`GET /api/v1/executions/${id}: ${status} ${JSON.stringify(body)}`);
    if (final.has(body.status)) return mustSucceed(id, body.status);
    await sleep(everyMs);
  }
}

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-up-api-'));
const up = await startPackrunUp();
try {
  await up.install([writeBenchPack(root, 'benchpy', false)]);
  for (let i = 0; i < 5; i++) await executeStreamed(up, i);
  const timing = summary(await timeEach(requests, (index) => executeStreamed(up, index)));
  const polled = summary(await timeEach(requests, (index) => executePolling(up, index, 2)));
  const started = performance.now();
  await Promise.all(Array.from({ length: burst }, (_, index) => executeStreamed(up, index)));
  const rate = burst / ((performance.now() - started) / 1000);
  const how = `\`packrun up\` as shipped in its own process (sandbox: ${up.layers || 'as packrun doctor reports it'}), this process its HTTP client`;
  const rows: BenchRow[] = [
    {
      name: '(c) REST request to result, packrun up as shipped, p50',
      value: round(timing.p50),
      unit: 'ms',
      target: { text: '≤ 10 ms', met: timing.p50 <= 10, limit: 10 },
      note: `${how}; POST, then the event stream's st2.execution__update saying it completed.`,
    },
    { name: '(c) REST request to result, packrun up as shipped, p99', value: round(timing.p99), unit: 'ms' },
    {
      name: '(c, polled) REST request to result, packrun up as shipped, record polled every 2 ms, p50',
      value: round(polled.p50),
      unit: 'ms',
      note: 'a client without the stream: POST, then GET of the record every 2 ms until final (the poll adds up to 2 ms, and its GETs share the 2 cores).',
    },
    {
      name: '(d) executions per second, trivial Python action, packrun up as shipped',
      value: round(rate),
      unit: '/s',
      compare: 'rate',
      target: { text: '≥ 500/s', met: rate >= 500, limit: 500 },
      note: `${how}; ${burst} POSTed at once, until the stream has reported each completed; one runner as packrun up configures it.`,
      bound: 'CPU: about 14 ms per execution across the packrun up process tree (runtime about 8 ms: store, sandbox bookkeeping, API and stream, runner supervision; the Python zygote and its forked child about 6 ms), so 2 cores fit about 140/s (docs/fast-spawn.md).',
    },
  ];
  printRows('REST latency and throughput through packrun up as shipped (headline)', rows);
} finally {
  await up.close();
  rmSync(root, { recursive: true, force: true });
}
