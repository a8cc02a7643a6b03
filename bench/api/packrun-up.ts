/**
 * (c) and (d) as a user meets them: `packrun up` as shipped (bin/packrun, its own process, the
 * sandbox as `packrun doctor` reports it on this host, warm spawning as configured by default),
 * driven by a real HTTP client in this separate process with the key `packrun up` wrote. Request
 * to result = POST /api/v1/executions, then GET of the record every 2 ms until it is final (an
 * outside client has no in-process event to wait on); executions per second = a burst POSTed at
 * once, each record then polled every 20 ms until final. bench/api/run.ts's in-process figures
 * (API, runner and client in one process, no sandbox) are the secondary rows.
 * Run: node --import tsx bench/api/packrun-up.ts [requests, default 60] [burst, default 200]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, writeBenchPack } from '../lib/bench-home.ts';
import { jsonClient, type JsonClient } from '../lib/http-client.ts';
import { printRows, type BenchRow } from '../lib/report.ts';
import { round, summary, timeEach } from '../lib/stats.ts';

const requests = Number(process.argv[2] ?? 60);
const burst = Number(process.argv[3] ?? 200);
const final = new Set(['succeeded', 'failed', 'timeout', 'canceled', 'abandoned']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${withinMs} ms`);
    await sleep(20);
  }
}

async function untilFinal(client: JsonClient, id: string, everyMs: number): Promise<{ status: string }> {
  for (;;) {
    const { body } = await client.request<{ status: string }>('GET', `/api/v1/executions/${id}`);
    if (final.has(body.status)) return body;
    await sleep(everyMs);
  }
}

async function execute(client: JsonClient, n: number, everyMs: number): Promise<void> {
  const created = await client.request<{ id: string }>('POST', '/api/v1/executions', { action: 'benchpy.trivial', parameters: { n } });
  if (created.status !== 201) throw new Error(`POST /api/v1/executions: ${created.status} ${JSON.stringify(created.body)}`);
  const record = await untilFinal(client, created.body.id, everyMs);
  if (record.status !== 'succeeded') throw new Error(`execution ${created.body.id} ${record.status}`);
}

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-up-api-'));
const home = path.join(root, 'home');
const env = { ...process.env, PACKRUN_HOME: home, PACKRUN_API_PORT: '0', PACKRUN_LOG_LEVEL: 'error' };
const doctor = spawnSync(path.join(repoRoot, 'bin', 'packrun'), ['doctor'], { env, encoding: 'utf8' });
const layers = doctor.stdout.split('\n').filter((line) => /^\s*(bwrap|bubblewrap|seccomp|cgroups|user|network)\b/i.test(line)).map((line) => line.trim().split(/\s+/).slice(0, 2).join(' ')).join(', ');
const server: ChildProcess = spawn(path.join(repoRoot, 'bin', 'packrun'), ['up'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  const addressFile = path.join(home, 'run', 'api.json');
  await waitFor(() => existsSync(addressFile), 300_000, 'packrun up recording its address');
  const { url } = JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string };
  const key = readFileSync(path.join(home, 'secrets', 'cli-api-key'), 'utf8').trim();
  const client = jsonClient(url, { 'x-api-key': key });
  const install = await client.request<{ id: string }>('POST', '/api/v1/packs/install', { source: writeBenchPack(root, 'benchpy', false) });
  if ((await untilFinal(client, install.body.id, 100)).status !== 'succeeded') throw new Error('installing the bench pack failed');
  for (let i = 0; i < 5; i++) await execute(client, i, 2);
  const timing = summary(await timeEach(requests, (index) => execute(client, index, 2)));
  const started = performance.now();
  await Promise.all(Array.from({ length: burst }, (_, index) => execute(client, index, 20)));
  const rate = burst / ((performance.now() - started) / 1000);
  client.close();
  const how = `\`packrun up\` as shipped in its own process (sandbox: ${layers || 'as packrun doctor reports it'}), this process its HTTP client`;
  const rows: BenchRow[] = [
    {
      name: '(c) REST request to result, packrun up as shipped, p50',
      value: round(timing.p50),
      unit: 'ms',
      target: { text: '≤ 10 ms', met: timing.p50 <= 10, limit: 10 },
      note: `${how}; POST, then GET every 2 ms until final (the poll adds up to 2 ms).`,
    },
    { name: '(c) REST request to result, packrun up as shipped, p99', value: round(timing.p99), unit: 'ms' },
    {
      name: '(d) executions per second, trivial Python action, packrun up as shipped',
      value: round(rate),
      unit: '/s',
      compare: 'rate',
      target: { text: '≥ 500/s', met: rate >= 500, limit: 500 },
      note: `${how}; ${burst} POSTed at once, each polled every 20 ms until final; one runner as packrun up configures it.`,
    },
  ];
  printRows('REST latency and throughput through packrun up as shipped (headline)', rows);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(root, { recursive: true, force: true });
}
