/**
 * Big output and results through a real `packrun up` (its own process, embedded store, in-process
 * bus): the server's resident memory (VmRSS, sampled every 50 ms) while 50 executions each print
 * 50 MB, then while 1,000 executions each leave a 1 MiB result document and a client lists them
 * with `GET /executions?limit=1000`, whose time and size are measured too.
 * `--baseline <repo>` runs the same phases against another checkout first (e.g. a worktree of main
 * before results left the records), so its figures come from the same run on the same machine.
 * Run: node --import tsx bench/big-data/run.ts [--baseline <repo>] [--printers 50] [--mib 50] [--listed 1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { realPython, repoRoot } from '../lib/bench-home.ts';
import { jsonClient } from '../lib/http-client.ts';
import { printRows, type BenchRow } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}
const baselineRepo = process.argv.includes('--baseline') ? path.resolve(option('baseline', '')) : undefined;
const printers = Number(option('printers', '50'));
const printedMib = Number(option('mib', '50'));
const listed = Number(option('listed', '1000'));

interface Figures {
  idleMib: number;
  printingPeakMib: number;
  afterPrintingMib: number;
  resultsPeakMib: number;
  listingPeakMib: number;
  listMs: number;
  listMib: number;
  /** The list's HTTP status: main answered 500 once the page no longer fit in one string. */
  listStatus: number;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function rssMib(pid: number): number {
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

/** The highest RSS seen while `work` runs. */
async function peakDuring<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = rssMib(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMib(pid));
  }, 50);
  try {
    const value = await work();
    return { value, peak: Math.max(peak, rssMib(pid)) };
  } finally {
    clearInterval(timer);
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, withinMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function runCli(repo: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, 'packages/cli/bin/packrun.mjs'), ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`packrun ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

async function measure(repo: string): Promise<Figures> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-bigdata-'));
  const port = await freePort();
  const env = {
    PACKRUN_HOME: path.join(root, 'home'),
    PACKRUN_PYTHON: realPython(),
    PACKRUN_LOG_LEVEL: 'error',
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: `http://127.0.0.1:${port}`,
  };
  const server: ChildProcess = spawn(process.execPath, [path.join(repo, 'packages/cli/bin/packrun.mjs'), 'up'], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  try {
    await waitFor(async () => /packrun is up/.test(log), 'packrun up', 60_000);
    const pid = server.pid!;
    await runCli(repo, ['pack', 'install', path.join(repo, 'packs/core')], env);
    const key = readFileSync(path.join(env.PACKRUN_HOME, 'secrets', 'cli-api-key'), 'utf8').trim();
    const client = jsonClient(env.PACKRUN_API_URL, { 'x-api-key': key });
    const submit = async (cmd: string, count: number): Promise<void> => {
      for (let sent = 0; sent < count; sent += 1) {
        const response = await client.request('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd } });
        if (response.status !== 201) throw new Error(`POST /executions: ${response.status} ${JSON.stringify(response.body)}`);
      }
    };
    const completed = async (): Promise<number> => {
      const response = await client.request('GET', '/api/v1/executions?status=succeeded&limit=1');
      return Number(response.headers['x-total-count'] ?? 0);
    };
    global.gc?.();
    const idleMib = rssMib(pid);

    const printing = await peakDuring(pid, async () => {
      await submit(`head -c ${printedMib * 1024 * 1024} /dev/zero | tr '\\0' a`, printers);
      await waitFor(async () => (await completed()) >= printers, `${printers} printers`);
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const afterPrintingMib = rssMib(pid);

    const results = await peakDuring(pid, async () => {
      await submit("head -c 1048576 /dev/zero | tr '\\0' r", listed);
      await waitFor(async () => (await completed()) >= printers + listed, `${listed} 1 MiB results`);
    });

    const listing = await peakDuring(pid, async () => {
      const times: number[] = [];
      let bytes = 0;
      let status = 0;
      for (let round_ = 0; round_ < 3; round_ += 1) {
        const started = performance.now();
        const response = await client.raw('GET', `/api/v1/executions?limit=${listed}`);
        times.push(performance.now() - started);
        status = response.status;
        bytes = response.body.length;
      }
      return { ms: times.sort((a, b) => a - b)[1]!, bytes, status };
    });
    client.close();
    return {
      idleMib,
      printingPeakMib: printing.peak,
      afterPrintingMib,
      resultsPeakMib: results.peak,
      listingPeakMib: listing.peak,
      listMs: listing.value.ms,
      listMib: listing.value.bytes / 1024 / 1024,
      listStatus: listing.value.status,
    };
  } finally {
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(root, { recursive: true, force: true });
  }
}

const baseline = baselineRepo === undefined ? undefined : await measure(baselineRepo);
const current = await measure(repoRoot);
const mib = (value: number): number => round(value, 0);
const row = (name: string, value: number, unit: string, before: number | undefined, extra: Partial<BenchRow> = {}): BenchRow => ({
  name,
  value: unit === 'MiB' ? mib(value) : round(value, 1),
  unit,
  compare: unit === 'ms' ? 'time' : 'size',
  ...(before === undefined ? {} : { baseline: { name: 'before (main)', value: unit === 'MiB' ? mib(before) : round(before, 1) } }),
  ...extra,
});
printRows('Big output and results under packrun up', [
  row('packrun up RSS, idle (core pack installed)', current.idleMib, 'MiB', baseline?.idleMib),
  row(`packrun up peak RSS while ${printers} executions each print ${printedMib} MB`, current.printingPeakMib, 'MiB', baseline?.printingPeakMib, {
    note: `RSS 2 s after they ended: ${mib(current.afterPrintingMib)} MiB${baseline ? ` (before: ${mib(baseline.afterPrintingMib)} MiB)` : ''}; output kept per execution: PACKRUN_OUTPUT_CAP (4 MiB) of each stream, runner concurrency 4.`,
  }),
  row(`packrun up peak RSS while ${listed} executions each leave a 1 MiB result`, current.resultsPeakMib, 'MiB', baseline?.resultsPeakMib),
  row(`packrun up peak RSS while GET /executions?limit=${listed} is served 3 times`, current.listingPeakMib, 'MiB', baseline?.listingPeakMib),
  row(`GET /executions?limit=${listed}, median of 3`, current.listMs, 'ms', baseline?.listMs, {
    note: `HTTP ${current.listStatus}${baseline ? `; before: HTTP ${baseline.listStatus}${baseline.listStatus === 200 ? '' : ' (the page did not fit in one string: the time is that of the failure)'}` : ''}.`,
  }),
  {
    name: `GET /executions?limit=${listed}, body`,
    value: round(current.listMib, 2),
    unit: 'MiB',
    compare: 'size',
    ...(baseline?.listStatus === 200 ? { baseline: { name: 'before (main)', value: round(baseline.listMib, 2) } } : {}),
    ...(baseline !== undefined && baseline.listStatus !== 200 ? { note: `before: no page (HTTP ${baseline.listStatus})` } : {}),
  },
]);
