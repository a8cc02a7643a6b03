/**
 * (f) resident memory of the runtime with 20 packs each holding a zygote: 20 packs, each with
 * its own venv holding requests, yaml and jinja2 and preloading them, one action run in each with
 * warm spawning on, then the memory of this process (the runner) plus every zygote and the child
 * each keeps forked ahead of its next execution. PSS counts a
 * page shared by n processes as 1/n (the memory really used); RSS sums count shared pages again
 * in every process. Baseline: the same process before any zygote started.
 * Run: node --import tsx bench/memory/run.ts [packs, default 20]
 */
import { readFileSync } from 'node:fs';
import { processZygotePool, runAction } from '../../packages/action-runner/src/index.ts';
import { LocalFileKeyValues } from '../../test/helpers/file-key-values.ts';
import { benchHome, installBenchPacks } from '../lib/bench-home.ts';
import { printRows } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

const packs = Number(process.argv[2] ?? 20);
const home = benchHome();
const refs = Array.from({ length: packs }, (_, index) => `benchmem${index}`);
await installBenchPacks(home, refs.map((ref) => ({ ref, heavy: true })));
const datastore = new LocalFileKeyValues(home.paths);

/** kB figures from /proc/<pid>/smaps_rollup. */
function memoryOf(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: field('Rss'), pss: field('Pss') };
}

// One cold run first, so the runtime has loaded everything it needs to run an action at all.
await runAction({ paths: home.paths, config: home.cold, ref: `${refs[0]}.heavy`, input: { n: 0 }, datastore });
global.gc?.();
const before = memoryOf(process.pid);
for (const ref of refs) {
  const outcome = await runAction({ paths: home.paths, config: home.warm, ref: `${ref}.heavy`, input: { n: 1 }, datastore });
  if (outcome.status !== 'succeeded') throw new Error(`${ref}.heavy ${outcome.status}: ${JSON.stringify(outcome.result)}`);
}
const pool = processZygotePool(home.warm);
const zygotes = pool.pids();
if (zygotes.length !== packs) throw new Error(`expected ${packs} zygotes, found ${zygotes.length}`);
/** A zygote's own children: between executions, the one it forked ahead for the next. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
// Time for every zygote to have forked its spare.
await new Promise((resolve) => setTimeout(resolve, 500));
const runtime = memoryOf(process.pid);
const each = zygotes.map(memoryOf);
const spares = zygotes.flatMap(childrenOf).map(memoryOf);
const totalPss = runtime.pss + [...each, ...spares].reduce((sum, entry) => sum + entry.pss, 0);
const totalRss = runtime.rss + [...each, ...spares].reduce((sum, entry) => sum + entry.rss, 0);
const mb = (kb: number) => round(kb / 1024, 0);
await pool.close();
printRows('Memory with warm zygotes', [
  {
    name: `(f) runtime + ${packs} zygotes (requests+yaml+jinja2 preloaded) and their children forked ahead, PSS`,
    value: mb(totalPss),
    unit: 'MiB',
    compare: 'size',
    baseline: { name: 'runtime alone before any zygote, PSS', value: mb(before.pss) },
    target: { text: '≤ 1024 MiB', met: totalPss / 1024 <= 1024 },
    note: `per zygote: PSS ${mb(each.reduce((s, e) => s + e.pss, 0) / packs)} MiB, RSS ${mb(each.reduce((s, e) => s + e.rss, 0) / packs)} MiB; per child forked ahead (${spares.length} of them): PSS ${mb(spares.reduce((s, e) => s + e.pss, 0) / Math.max(1, spares.length))} MiB (PSS splits the pages a zygote and its child share between the two); RSS summed over all processes (shared pages counted again each time): ${mb(totalRss)} MiB; idle zygotes stop after PACKRUN_WARM_IDLE seconds.`,
  },
]);
