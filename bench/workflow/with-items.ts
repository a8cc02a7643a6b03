/**
 * Orquesta with-items: one task over N items at concurrency 10 of a trivial Python action, against
 * the same N executions requested directly through the API, 10 at a time, in the same run, through
 * `packrun up` as shipped (its own process, sandbox on, warm Python) with 10 runner slots
 * (PACKRUN_RUNNER_CONCURRENCY=10, so the runner is not what limits the loop), driven over HTTP from
 * this process. Then the wall time and the packrun up process's CPU per item at 100 and at N
 * items: the engine's cost per item must not grow with the item count.
 * Run: node --import tsx bench/workflow/with-items.ts [items, default 1000]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBenchPack } from '../lib/bench-home.ts';
import { startPackrunUp } from '../lib/packrun-up.ts';
import { printRows } from '../lib/report.ts';
import { percentile, round } from '../lib/stats.ts';

const items = Number(process.argv[2] ?? 1000);
const small = Math.min(100, items);
const concurrency = 10;
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-wfi-'));

const packDir = path.join(root, 'packs-src', 'benchwfi');
mkdirSync(path.join(packDir, 'actions', 'workflows'), { recursive: true });
writeFileSync(path.join(packDir, 'pack.yaml'), 'ref: benchwfi\nname: benchwfi\ndescription: Packrun with-items benchmark\nversion: 0.1.0\nauthor: Packrun\n');
writeFileSync(
  path.join(packDir, 'actions', 'loop.yaml'),
  'name: loop\nrunner_type: orquesta\nentry_point: workflows/loop.yaml\nparameters:\n  items:\n    type: array\n    required: true\n',
);
writeFileSync(
  path.join(packDir, 'actions', 'workflows', 'loop.yaml'),
  `version: 1.0\ninput:\n  - items\ntasks:\n  loop:\n    with:\n      items: <% ctx(items) %>\n      concurrency: ${concurrency}\n    action: benchpy.trivial n=<% item() %>\n`,
);

const up = await startPackrunUp({ PACKRUN_RUNNER_CONCURRENCY: String(concurrency) });
await up.install([writeBenchPack(root, 'benchpy', false), packDir]);

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

interface Run {
  wallMs: number;
  /** CPU of the packrun up process (API, store, runner, engine), which the engine's cost per item shows in. */
  cpuMs: number;
}

async function measured(work: () => Promise<void>): Promise<Run> {
  const cpu = up.cpuMs();
  const started = performance.now();
  await work();
  return { wallMs: performance.now() - started, cpuMs: up.cpuMs() - cpu };
}

async function direct(count: number): Promise<Run> {
  return measured(async () => {
    let next = 0;
    await Promise.all(
      range(concurrency).map(async () => {
        while (next < count) {
          const n = next;
          next += 1;
          const record = await up.execute('benchpy.trivial', { n });
          if (record.status !== 'succeeded') throw new Error(`execution ${record.id} ${record.status}`);
        }
      }),
    );
  });
}

async function withItems(count: number): Promise<Run> {
  return measured(async () => {
    const record = await up.execute('benchwfi.loop', { items: range(count) });
    if (record.status !== 'succeeded' || record.children?.length !== count) throw new Error(`workflow ${record.id} ${record.status} after ${record.children?.length ?? 0} items`);
  });
}

try {
  for (let i = 0; i < 20; i += 1) await up.execute('benchpy.trivial', { n: i });
  await withItems(10);
  const directRun = await direct(items);
  // A 100-item run lasts about a second, so one alone is mostly noise: the smaller size is run
  // before and after the large one (so neither the heap's nor the store's growth favours either)
  // and its median taken.
  const parts = [await withItems(small)];
  const full = await withItems(items);
  for (let i = 0; i < 4; i += 1) parts.push(await withItems(small));
  const part = { wallMs: percentile(parts.map((run) => run.wallMs), 50), cpuMs: percentile(parts.map((run) => run.cpuMs), 50) };
  const ratio = full.wallMs / directRun.wallMs;
  const wallGrowth = full.wallMs / items / (part.wallMs / small);
  const cpuGrowth = full.cpuMs / items / (part.cpuMs / small);
  const sandbox = `\`packrun up\` as shipped in its own process (sandbox: ${up.layers || 'as packrun doctor reports it'}), this process its HTTP client`;
  printRows('Workflow engine (Orquesta with-items, through packrun up as shipped)', [
    {
      name: `(w) with-items over ${items} items at concurrency ${concurrency}, trivial Python action: total wall time`,
      value: round(full.wallMs / 1000, 2),
      unit: 's',
      baseline: { name: `the same ${items} executions requested directly, ${concurrency} at a time`, value: round(directRun.wallMs / 1000, 2) },
      target: { text: 'within 1.5× of the direct run', met: ratio <= 1.5, limit: round((1.5 * directRun.wallMs) / 1000, 2) },
      note: `${round(ratio, 2)}× the direct run; packrun up CPU ${round(full.cpuMs / items, 2)} ms per item against ${round(directRun.cpuMs / items, 2)} ms per direct execution (which pays an HTTP request, a stream event and a GET each); ${sandbox}; ${concurrency} runner slots, warm Python.`,
    },
    {
      name: `(w) with-items wall time per item at ${items} items`,
      value: round(full.wallMs / items, 2),
      unit: 'ms',
      baseline: { name: `per item at ${small} items`, value: round(part.wallMs / small, 2) },
      target: { text: 'constant (within 1.25×)', met: wallGrowth <= 1.25, limit: round((1.25 * part.wallMs) / small, 2) },
      note: `wall time per item ×${round(wallGrowth, 2)} from ${small} to ${items} items (${small} items: the median of ${parts.length} runs, before and after the large one).`,
    },
    {
      name: `(w) with-items packrun up CPU per item at ${items} items`,
      value: round(full.cpuMs / items, 2),
      unit: 'ms',
      baseline: { name: `per item at ${small} items`, value: round(part.cpuMs / small, 2) },
      target: { text: 'constant (within 1.25×)', met: cpuGrowth <= 1.25, limit: round((1.25 * part.cpuMs) / small, 2) },
      note: `CPU of the packrun up process (API, store, runner, engine) per item ×${round(cpuGrowth, 2)} from ${small} to ${items} items: what the engine's state costs per step shows here first.`,
    },
  ]);
} finally {
  await up.close();
  rmSync(root, { recursive: true, force: true });
}
