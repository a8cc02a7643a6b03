/**
 * (f) resident memory of `packrun up` as shipped with 20 packs each holding a zygote: 20 packs,
 * each with its own venv holding requests, yaml and jinja2 and preloading them, installed through
 * the API, one action run in each, then the memory of the whole packrun up process tree (the
 * runtime, every zygote, the child each keeps forked ahead of its next execution, and whatever
 * sandbox helpers run). PSS counts a page shared by n processes as 1/n (the memory really used);
 * RSS sums count shared pages again in every process. Baseline: the same tree with the packs
 * installed, before any action ran.
 * Run: node --import tsx bench/memory/run.ts [packs, default 20]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBenchPack } from '../lib/bench-home.ts';
import { startPackrunUp } from '../lib/packrun-up.ts';
import { printRows } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

const packs = Number(process.argv[2] ?? 20);
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-memory-'));
const refs = Array.from({ length: packs }, (_, index) => `benchmem${index}`);

interface Memory {
  rss: number;
  pss: number;
}

/** kB figures from /proc/<pid>/smaps_rollup (zero for a process that ended meanwhile). */
function memoryOf(pid: number): Memory {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

/** `pid` and every process below it. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    // Ended while it was read.
  }
  return [pid, ...children.flatMap(processTree)];
}

const commandOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

const sum = (entries: Memory[]): Memory => entries.reduce((total, entry) => ({ rss: total.rss + entry.rss, pss: total.pss + entry.pss }), { rss: 0, pss: 0 });
const mb = (kb: number) => round(kb / 1024, 0);

const up = await startPackrunUp();
try {
  await up.install(refs.map((ref) => writeBenchPack(root, ref, true)));
  const before = sum(processTree(up.pid).map(memoryOf));
  for (const ref of refs) {
    const record = await up.execute(`${ref}.heavy`, { n: 1 });
    if (record.status !== 'succeeded') throw new Error(`${ref}.heavy ${record.status}`);
  }
  // Time for every zygote to have forked its spare.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const tree = processTree(up.pid);
  const runtime = memoryOf(up.pid);
  const python = tree.filter((pid) => pid !== up.pid && commandOf(pid).startsWith('python'));
  const total = sum(tree.map(memoryOf));
  // What else the tree holds (sandbox helpers, network namespaces made ahead), by command name.
  const byCommand = new Map<string, number>();
  for (const pid of tree) if (pid !== up.pid && !python.includes(pid)) byCommand.set(commandOf(pid), (byCommand.get(commandOf(pid)) ?? 0) + memoryOf(pid).pss);
  const others = [...byCommand].sort((a, b) => b[1] - a[1]).map(([name, kb]) => `${name} ${mb(kb)} MiB`).join(', ');
  printRows('Memory with warm zygotes', [
    {
      name: `(f) packrun up + ${packs} zygotes (requests+yaml+jinja2 preloaded) and their children forked ahead, PSS`,
      value: mb(total.pss),
      unit: 'MiB',
      compare: 'size',
      baseline: { name: 'packrun up with the packs installed, before any action ran, PSS', value: mb(before.pss) },
      target: { text: '≤ 1024 MiB', met: total.pss / 1024 <= 1024 },
      bound: "each pack's zygote holds a network namespace of its own (its children inherit it by fork; packs never share one, so one pack's jobs cannot reach another's sockets), and pasta, which gives the namespace its user-mode network, touches about 30 MiB of buffers in each: with 20 packs, pasta is about half of the total. Actions that need no network (`sandbox: network: false`) get a zygote without one.",
      note: `\`packrun up\` as shipped in its own process (sandbox: ${up.layers || 'as packrun doctor reports it'}); its whole process tree (${tree.length} processes): the runtime ${mb(runtime.pss)} MiB PSS, ${python.length} Python processes (zygotes and the children they forked ahead) ${mb(sum(python.map(memoryOf)).pss)} MiB PSS, the rest ${others || 'nothing'}; RSS summed over all processes (shared pages counted again each time): ${mb(total.rss)} MiB; idle zygotes stop after PACKRUN_WARM_IDLE seconds.`,
    },
  ]);
} finally {
  await up.close();
  rmSync(root, { recursive: true, force: true });
}
