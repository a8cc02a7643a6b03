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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, writeBenchPack } from '../lib/bench-home.ts';
import { executionStream, type ExecutionStream } from '../lib/execution-stream.ts';
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
    const { status, body } = await client.request<{ status: string }>('GET', `/api/v1/executions/${id}`);
    // A bench that polls a missing record would wait forever; say what the server answered instead.
    if (status !== 200) throw new Error(`GET /api/v1/executions/${id}: ${status} ${JSON.stringify(body)}`);
    if (final.has(body.status)) return body;
    await sleep(everyMs);
  }
}

async function post(client: JsonClient, n: number): Promise<string> {
  const created = await client.request<{ id: string }>('POST', '/api/v1/executions', { action: 'benchpy.trivial', parameters: { n } });
  if (created.status !== 201) throw new Error(`POST /api/v1/executions: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id;
}

function mustSucceed(id: string, status: string): void {
  if (status !== 'succeeded') throw new Error(`execution ${id} ${status}`);
}

/** POST, then the record polled every `everyMs` until final. */
async function executePolling(client: JsonClient, n: number, everyMs: number): Promise<void> {
  const id = await post(client, n);
  mustSucceed(id, (await untilFinal(client, id, everyMs)).status);
}

/** POST, then the stream's word that it completed. */
async function executeStreamed(client: JsonClient, stream: ExecutionStream, n: number): Promise<void> {
  const id = await post(client, n);
  mustSucceed(id, await stream.completion(id));
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
  const install = await client.request<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [writeBenchPack(root, 'benchpy', false)] });
  if (install.status !== 202) throw new Error(`POST /api/v1/packs/install: ${install.status} ${JSON.stringify(install.body)}`);
  if ((await untilFinal(client, install.body.execution_id, 100)).status !== 'succeeded') throw new Error('installing the bench pack failed');
  const stream = await executionStream(url, key);
  for (let i = 0; i < 5; i++) await executeStreamed(client, stream, i);
  const timing = summary(await timeEach(requests, (index) => executeStreamed(client, stream, index)));
  const polled = summary(await timeEach(requests, (index) => executePolling(client, index, 2)));
  const started = performance.now();
  await Promise.all(Array.from({ length: burst }, (_, index) => executeStreamed(client, stream, index)));
  const rate = burst / ((performance.now() - started) / 1000);
  stream.close();
  client.close();
  const how = `\`packrun up\` as shipped in its own process (sandbox: ${layers || 'as packrun doctor reports it'}), this process its HTTP client`;
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
    },
  ];
  printRows('REST latency and throughput through packrun up as shipped (headline)', rows);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(root, { recursive: true, force: true });
}
