/**
 * Orquesta with-items: one task over N items at concurrency 10 of a trivial Python action, against
 * the same N executions requested directly through the API, 10 at a time, in the same run, on the
 * embedded deployment in the shipped configuration (the sandbox decorator when this host has its
 * layers, warm Python, 10 runner slots). Then the wall time per item of the with-items workflow at
 * 100 and at N items: the engine's cost per item must not grow with the item count.
 * Run: node --import tsx bench/workflow/with-items.ts [items, default 1000]
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectSandbox } from '../../packages/core/src/sandbox/detect.ts';
import { createSandboxDecorator } from '../../packages/core/src/sandbox/sandbox-decorator.ts';
import { installPack } from '../../packages/pack-installer/src/index.ts';
import { benchHome, installBenchPacks } from '../lib/bench-home.ts';
import { startDeployment } from '../lib/deployment.ts';
import { printRows } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

const items = Number(process.argv[2] ?? 1000);
const small = Math.min(100, items);
const concurrency = 10;
const home = benchHome();
await installBenchPacks(home, [{ ref: 'benchpy', heavy: false }]);
// Job uids reach their pack through the bench's data folder (as bench/sandbox).
chmodSync(home.root, 0o711);

const packDir = path.join(home.root, 'packs-src', 'benchwfi');
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
await installPack([packDir], { config: home.warm });

const host = await detectSandbox(home.warm);
const inactive = host.layers.filter((layer) => !layer.active).map((layer) => layer.name);
const decorator = createSandboxDecorator({ host, config: home.warm });
const deployment = await startDeployment(home, { rabbit: false, warm: true, workflows: true, concurrency, decorator });

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

async function direct(count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    range(concurrency).map(async () => {
      while (next < count) {
        const n = next;
        next += 1;
        const record = await deployment.execute('benchpy.trivial', { n });
        if (record.status !== 'succeeded') throw new Error(`execution ${record.id} ${record.status}`);
      }
    }),
  );
  return performance.now() - started;
}

async function withItems(count: number): Promise<number> {
  const started = performance.now();
  const record = await deployment.execute('benchwfi.loop', { items: range(count) });
  const wall = performance.now() - started;
  if (record.status !== 'succeeded' || record.children?.length !== count) throw new Error(`workflow ${record.id} ${record.status} after ${record.children?.length ?? 0} items`);
  return wall;
}

try {
  for (let i = 0; i < 20; i += 1) await deployment.execute('benchpy.trivial', { n: i });
  await withItems(10);
  const directMs = await direct(items);
  const fullMs = await withItems(items);
  const smallMs = await withItems(small);
  const perItem = (ms: number, count: number): number => ms / count;
  const ratio = fullMs / directMs;
  const growth = perItem(fullMs, items) / perItem(smallMs, small);
  const sandbox = inactive.length === 0 ? 'sandboxed (every layer active)' : `sandbox layers not active here: ${inactive.join(', ')}`;
  printRows('Workflow engine (Orquesta with-items, embedded deployment)', [
    {
      name: `(w) with-items over ${items} items at concurrency ${concurrency}, trivial Python action: total wall time`,
      value: round(fullMs / 1000, 2),
      unit: 's',
      baseline: { name: `the same ${items} executions requested directly, ${concurrency} at a time`, value: round(directMs / 1000, 2) },
      target: { text: 'within 1.5× of the direct run', met: ratio <= 1.5, limit: round((1.5 * directMs) / 1000, 2) },
      note: `${round(ratio, 2)}× the direct run; ${sandbox}; ${concurrency} runner slots, warm Python.`,
    },
    {
      name: `(w) with-items wall time per item at ${items} items`,
      value: round(perItem(fullMs, items), 2),
      unit: 'ms',
      baseline: { name: `per item at ${small} items`, value: round(perItem(smallMs, small), 2) },
      target: { text: 'constant (within 1.25×)', met: growth <= 1.25, limit: round(1.25 * perItem(smallMs, small), 2) },
      note: `per-item cost ×${round(growth, 2)} from ${small} to ${items} items.`,
    },
  ]);
} finally {
  await deployment.close();
}
