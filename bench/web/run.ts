/**
 * The web UI's budgets, in Debian's chromium (playwright-core) against a real `packrun up`:
 *   (a) the execution list with 100,000 stored executions interactive: from navigating to
 *       /executions until its rows are drawn and a key typed into its filter field shows there;
 *       baseline: the same page on an empty store, in the same run.
 *   (b) execution updates arriving live while the list is open (real executions of core.noop
 *       started through the API at a steady rate, each a create and its status updates on the
 *       stream) and what they cost input: a key typed into the filter field until it shows, and the
 *       longest main-thread task; baseline: the same page with no updates, in the same run.
 *       That figure is bound by how many executions the server runs a second on this machine, so
 *       the page's own capacity is measured apart: the same list fed by a replayed stream at higher
 *       offered rates (replayed-stream.ts: 200, 500, 1000 a second), until the final state of every execution it shows is
 *       drawn, with the page's main-thread busy time and CPU time (Chrome's Performance.getMetrics
 *       TaskDuration and ThreadTime: the CPU time is what the page costs, whoever else runs)
 *       and the key typed meanwhile.
 * The 100k executions are written straight into the embedded store before `packrun up` opens it,
 * as bench/store does. Figures are printed beside their baselines; nothing here is a test.
 * Run: node --import tsx bench/web/run.ts [executions, default 100000] [executions started per second, default 30]
 *   [updates offered per second by the replayed stream, default 200,500,1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { newId, openEmbeddedStore, type ExecutionRecord } from '../../packages/core/src/index.ts';
import { repoRoot } from '../lib/bench-home.ts';
import { printRows } from '../lib/report.ts';
import { percentile, round } from '../lib/stats.ts';
import { startReplayedStream, type ReplayedStream } from './replayed-stream.ts';

const executions = Number(process.argv[2] ?? 100_000);
const startsPerSecond = Number(process.argv[3] ?? 30);
const offeredRates = (process.argv[4] ?? '200,500,1000').split(',').map(Number);
const burstSeconds = 10;
const chromiumPath = process.env['PACKRUN_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

/** `count` finished executions of 20 actions in 5 packs, one a second back from now, written in the store's own shape. */
async function seed(storeDir: string, count: number): Promise<number> {
  const started = performance.now();
  const store = await openEmbeddedStore({ dir: storeDir, sync: 'normal' });
  try {
    const first = Date.now() - count * 1000;
    for (let index = 0; index < count; index += 1) {
      const action = `pack${index % 5}.action${index % 20}`;
      const at = (offset: number): string => new Date(first + index * 1000 + offset).toISOString();
      const status = index % 10 === 0 ? 'failed' : 'succeeded';
      const record: ExecutionRecord = {
        id: newId(),
        action,
        pack: action.split('.')[0]!,
        runnerType: 'python-script',
        parameters: { message: `hello ${index}` },
        status,
        log: [
          { status: 'requested', at: at(0), by: 'admin' },
          { status: 'running', at: at(5), by: 'runner-1' },
          { status, at: at(17), by: 'runner-1' },
        ],
        createdAt: at(0),
        startedAt: at(5),
        endedAt: at(17),
        durationMs: 12,
        result: { exit_code: status === 'failed' ? 1 : 0, result: { value: index } },
        context: { user: 'admin' },
        user: 'admin',
      };
      await store.executions.insert(record);
    }
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}

interface Server {
  url: string;
  key: string;
  child: ChildProcess;
}

async function startUp(home: string): Promise<Server> {
  const addressFile = path.join(home, 'run', 'api.json');
  const child = spawn(path.join(repoRoot, 'bin', 'packrun'), ['up'], {
    env: { ...process.env, PACKRUN_HOME: home, PACKRUN_API_PORT: '0', PACKRUN_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 300_000;
  while (!existsSync(addressFile)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`packrun up in ${home} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { url } = JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string };
  return { url, key: readFileSync(path.join(home, 'secrets', 'cli-api-key'), 'utf8').trim(), child };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A page signed in as the server's CLI key (the credential the login page would keep), with a long-task recorder. */
async function openPage(browser: Browser, server: Server): Promise<Page> {
  // The waits below poll strings of script, which the page's Content-Security-Policy (no eval) would refuse.
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
  // Browser-side code as text: this file is type-checked for Node, not for the DOM.
  await context.addInitScript({
    content: `sessionStorage.setItem('packrun.credential', ${JSON.stringify(JSON.stringify({ kind: 'api-key', value: server.key }))});
      window.benchLongest = { ms: 0 };
      new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.benchLongest.ms = Math.max(window.benchLongest.ms, entry.duration); }).observe({ type: 'longtask', buffered: true });`,
  });
  return context.newPage();
}

/** Milliseconds from a key pressed in the focused filter field until the field shows it. */
async function keyToScreen(page: Page): Promise<number> {
  const field = page.locator('input[name="action"]');
  const before = (await field.inputValue()).length;
  const started = performance.now();
  await page.keyboard.press('x');
  await page.waitForFunction(`document.querySelector('input[name="action"]').value.length > ${before}`, undefined, { polling: 'raf' });
  return performance.now() - started;
}

/**
 * The page's main thread so far: seconds spent running tasks (script, style, layout, paint; wall
 * time, so longer while other processes hold the cores) and the CPU seconds it used.
 */
async function mainThread(cdp: CDPSession): Promise<{ busy: number; cpu: number }> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const value = (name: string): number => metrics.find((metric) => metric.name === name)?.value ?? 0;
  return { busy: value('TaskDuration'), cpu: value('ThreadTime') };
}

/**
 * Readies a burst's measurement: the filter field focused for the typed keys, the longest task
 * reset, and the main thread's counters read before (compared by mainThread after).
 */
async function watchMainThread(page: Page): Promise<{ cdp: CDPSession; before: { busy: number; cpu: number } }> {
  await page.locator('input[name="action"]').focus();
  await page.evaluate('window.benchLongest.ms = 0');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return { cdp, before: await mainThread(cdp) };
}

/** (a): navigation to rows drawn and a key shown in the filter field, `runs` times; the list requests counted. */
async function listInteractive(browser: Browser, server: Server, runs: number): Promise<{ ms: number[]; limits: string[] }> {
  const page = await openPage(browser, server);
  const limits: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/v1/executions?')) limits.push(new URL(request.url()).searchParams.get('limit') ?? 'none');
  });
  const ms: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await page.goto(`${server.url}/executions`);
    await page.locator('table.executions').waitFor();
    await page.locator('input[name="action"]').focus();
    await keyToScreen(page);
    ms.push(performance.now() - started);
  }
  await page.context().close();
  return { ms, limits };
}

interface Burst {
  updatesPerSecond: number;
  keyMs: number[];
  longestTaskMs: number;
  /** The page's main thread busy, as a share of the burst. */
  busyShare: number;
  /** The page's main-thread CPU time, as a share of the burst. */
  cpuShare: number;
  newestShown: boolean;
}

/** (b): the list open for `burstSeconds`, executions started at `rate` a second (0: none), a key typed every 200 ms. */
async function underUpdates(browser: Browser, server: Server, rate: number): Promise<Burst> {
  const page = await openPage(browser, server);
  await page.goto(`${server.url}/executions`);
  await page.locator('.live-live').waitFor({ timeout: 60_000 });
  // The page's own count of what the stream delivered, on a second connection of the same browser.
  await page.evaluate(`(() => {
    window.benchEvents = 0;
    const source = new EventSource('/api/v1/stream?events=st2.execution__create,st2.execution__update&st2-api-key=' + encodeURIComponent(${JSON.stringify(server.key)}));
    for (const name of ['st2.execution__create', 'st2.execution__update']) source.addEventListener(name, () => { window.benchEvents += 1; });
  })()`);
  const { cdp, before } = await watchMainThread(page);
  const started: Promise<unknown>[] = [];
  let newest = '';
  const timer = rate === 0 ? undefined : setInterval(() => {
    started.push(
      fetch(new URL('/api/v1/executions', server.url), { method: 'POST', headers: { 'St2-Api-Key': server.key, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'core.noop' }) })
        .then((response) => response.json() as Promise<{ id: string }>)
        .then((body) => (newest = body.id)),
    );
  }, 1000 / rate);
  const counted = await page.evaluate<number>('window.benchEvents');
  const from = performance.now();
  const keyMs: number[] = [];
  while (performance.now() - from < burstSeconds * 1000) {
    keyMs.push(await keyToScreen(page));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (timer) clearInterval(timer);
  const events = (await page.evaluate<number>('window.benchEvents')) - counted;
  const seconds = (performance.now() - from) / 1000;
  const after = await mainThread(cdp);
  const longestTaskMs = await page.evaluate<number>('window.benchLongest.ms');
  await Promise.allSettled(started);
  const newestShown = rate === 0 || (await page.locator(`tr[data-execution="${newest}"]`).waitFor({ timeout: 30_000 }).then(() => true, () => false));
  await page.context().close();
  return { updatesPerSecond: events / seconds, keyMs, longestTaskMs, busyShare: (after.busy - before.busy) / seconds, cpuShare: (after.cpu - before.cpu) / seconds, newestShown };
}

interface Capacity {
  rate: number;
  /** Updates offered over the seconds from the first written until the final state of the newest 50 was drawn. */
  drawnPerSecond: number;
  /** From the last update written until it was drawn. */
  drainMs: number;
  keyMs: number[];
  longestTaskMs: number;
  busyShare: number;
  /** CPU seconds the page's main thread used over the same time. */
  cpuSeconds: number;
  /** How many times the list's rows changed in the DOM: the renders the updates became. */
  renders: number;
  updates: number;
}

/** (b), the page alone: the list fed `rate` updates a second by the replayed stream, a key typed every 200 ms. */
async function pageCapacity(browser: Browser, server: Server, replay: ReplayedStream, rate: number): Promise<Capacity> {
  const page = await openPage(browser, { ...server, url: replay.url });
  await page.goto(`${replay.url}/executions`);
  await page.locator('.live-live').waitFor({ timeout: 60_000 });
  await page.locator('table.executions tbody tr').first().waitFor();
  // One count per DOM commit of the rows (a MutationObserver's callback runs once per task that changed them).
  await page.evaluate(`(() => {
    window.benchRenders = 0;
    new MutationObserver(() => { window.benchRenders += 1; }).observe(document.querySelector('table.executions tbody'), { childList: true, subtree: true, characterData: true });
  })()`);
  const { cdp, before } = await watchMainThread(page);
  const from = performance.now();
  const offer = replay.offer(rate, burstSeconds);
  const keyMs: number[] = [];
  while (performance.now() - from < burstSeconds * 1000) {
    keyMs.push(await keyToScreen(page));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const offered = await offer;
  // Drawn: the newest 50 executions, newest first, each in its final state.
  await page.waitForFunction(
    `(() => {
      const want = ${JSON.stringify(offered.newest)};
      const rows = [...document.querySelectorAll('table.executions tbody tr')].slice(0, want.length);
      return rows.length === want.length && rows.every((row, index) => row.dataset.execution === want[index] && row.querySelector('.status')?.textContent === 'succeeded');
    })()`,
    undefined,
    { polling: 'raf', timeout: 60_000 },
  );
  const drawnAt = performance.now();
  const after = await mainThread(cdp);
  const longestTaskMs = await page.evaluate<number>('window.benchLongest.ms');
  const renders = await page.evaluate<number>('window.benchRenders');
  await page.context().close();
  return {
    rate,
    drawnPerSecond: offered.updates / ((drawnAt - from) / 1000),
    drainMs: drawnAt - offered.lastWrittenAt,
    keyMs,
    longestTaskMs,
    busyShare: (after.busy - before.busy) / ((drawnAt - from) / 1000),
    cpuSeconds: after.cpu - before.cpu,
    renders,
    updates: offered.updates,
  };
}

const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-web-'));
const servers: Server[] = [];
let browser: Browser | undefined;
try {
  const emptyHome = path.join(root, 'empty');
  const fullHome = path.join(root, 'full');
  const seedSeconds = await seed(path.join(fullHome, 'store'), executions);
  process.stdout.write(`seeded ${executions} executions in ${round(seedSeconds)} s\n`);
  const empty = await startUp(emptyHome);
  servers.push(empty);
  const full = await startUp(fullHome);
  servers.push(full);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });

  // A first load of each warms the server's caches and the browser's: not measured.
  await listInteractive(browser, empty, 1);
  await listInteractive(browser, full, 1);
  const emptyList = await listInteractive(browser, empty, 7);
  const fullList = await listInteractive(browser, full, 7);
  const quiet = await underUpdates(browser, full, 0);
  const busy = await underUpdates(browser, full, startsPerSecond);
  // An execution as the API serves it (a core.noop the burst ran): the replayed stream's template.
  const template = (await (
    await fetch(new URL('/api/v1/executions?action=core.noop&limit=1', full.url), { headers: { 'St2-Api-Key': full.key } })
  ).json()) as Record<string, unknown>[];
  const replay = await startReplayedStream(full.url, template[0]!);
  const capacities: Capacity[] = [];
  try {
    for (const rate of offeredRates) capacities.push(await pageCapacity(browser, full, replay, rate));
  } finally {
    await replay.close();
  }
  const fullP50 = round(percentile(fullList.ms, 50));
  const limits = [...new Set(fullList.limits)].join(', ');

  printRows('Web UI budgets (chromium against packrun up)', [
    {
      name: `(a) execution list with ${executions} stored executions: navigation to rows drawn and a key shown, p50`,
      value: fullP50,
      unit: 'ms',
      baseline: { name: 'the same on an empty store', value: round(percentile(emptyList.ms, 50)) },
      target: { text: '≤ 1000 ms', met: fullP50 <= 1000, limit: 1000 },
      note: `${fullList.ms.length} loads; p99 ${round(percentile(fullList.ms, 99))} ms; the list asked for limit=${limits} per request (one page, the server counts); seeding took ${round(seedSeconds)} s`,
    },
    {
      name: '(b) execution updates delivered to the open list',
      value: round(busy.updatesPerSecond),
      unit: 'updates/s',
      compare: 'rate',
      target: { text: '≥ 100 updates/s', met: busy.updatesPerSecond >= 100, limit: 100 },
      note: `core.noop started ${startsPerSecond}/s through the API for ${burstSeconds} s (a create and its status updates each); newest execution drawn at the top: ${busy.newestShown ? 'yes' : 'NO'}`,
      bound: 'how many executions this machine runs a second, not the page',
    },
    {
      name: '(b) a key typed into the filter field until shown, while updates arrive, p95',
      value: round(percentile(busy.keyMs, 95)),
      unit: 'ms',
      baseline: { name: 'the same with no updates', value: round(percentile(quiet.keyMs, 95)) },
      target: { text: '≤ 100 ms (no blocked input)', met: percentile(busy.keyMs, 95) <= 100, limit: 100 },
      note: `${busy.keyMs.length} keys, max ${round(Math.max(...busy.keyMs))} ms; longest main-thread task ${round(busy.longestTaskMs)} ms (no updates: ${round(quiet.longestTaskMs)} ms); page's main thread busy ${round(busy.busyShare * 100)}% of the burst, its CPU ${round(busy.cpuShare * 100)}% (no updates: ${round(quiet.busyShare * 100)}%, ${round(quiet.cpuShare * 100)}%)`,
    },
    ...capacities.flatMap((capacity) => [
      {
        name: `(b) the page alone, ${capacity.rate} updates/s offered by a replayed stream: updates drawn`,
        value: round(capacity.drawnPerSecond),
        unit: 'updates/s',
        compare: 'rate' as const,
        target: { text: '≥ 100 updates/s', met: capacity.drawnPerSecond >= 100, limit: 100 },
        note: `${capacity.updates} updates in ${round(capacity.renders)} renders of the rows; the newest 50 drawn in their final state ${round(capacity.drainMs)} ms after the last was sent; page's main thread busy ${round(capacity.busyShare * 100)}%, longest task ${round(capacity.longestTaskMs)} ms; its CPU ${round((capacity.cpuSeconds * 1000) / (capacity.updates / 100))} ms per 100 updates`,
      },
      {
        name: `(b) the page alone, ${capacity.rate} updates/s offered: a key typed into the filter field until shown, p95`,
        value: round(percentile(capacity.keyMs, 95)),
        unit: 'ms',
        baseline: { name: 'the same with no updates', value: round(percentile(quiet.keyMs, 95)) },
        target: { text: '≤ 100 ms (no blocked input)', met: percentile(capacity.keyMs, 95) <= 100, limit: 100 },
        note: `${capacity.keyMs.length} keys, max ${round(Math.max(...capacity.keyMs))} ms`,
      },
    ]),
    ...capacities.slice(-1).map((capacity) => ({
      name: `(b) the page's capacity: updates a second its main thread's CPU takes, at ${capacity.rate} offered`,
      value: round(capacity.updates / capacity.cpuSeconds),
      unit: 'updates/s',
      compare: 'rate' as const,
      target: { text: '≥ 100 updates/s', met: capacity.updates / capacity.cpuSeconds >= 100, limit: 100 },
      note: `${capacity.updates} updates over ${round(capacity.cpuSeconds)} s of main-thread CPU; a lower bound: that CPU also drew the keys typed and the page's idle work`,
    })),
  ]);
} finally {
  await browser?.close().catch(() => undefined);
  for (const server of servers) await stop(server.child);
  rmSync(root, { recursive: true, force: true });
}
