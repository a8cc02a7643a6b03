/**
 * How long the packrun command takes to start: `packrun --help` and `packrun --version` from the
 * production bundle (scripts/build.mjs) and, for comparison, from the sources through tsx, each
 * beside `node -e 0` measured in the same run. Runs are interleaved (node, help, version, ...) so
 * the machine's load weighs on each alike. The target (issue 17): `--help` within 3× of `node -e 0`.
 * Run: node --import tsx bench/cli/run.ts [iterations, default 15]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
// @ts-expect-error: the bin's helper is plain JavaScript without types.
import { currentBuild } from '../../packages/cli/bin/current-build.mjs';
import { printRows, type BenchRow } from '../lib/report.ts';
import { round, summary } from '../lib/stats.ts';

const iterations = Number(process.argv[2] ?? 15);
const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'packages/cli/bin/packrun.mjs');

// A bundle older than a source would send every call to tsx: the figure would be the sources'.
if (currentBuild() === undefined) execFileSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], { stdio: 'inherit' });

interface Subject {
  name: string;
  args: string[];
  env?: Record<string, string>;
  samples: number[];
}

const subjects: Subject[] = [
  { name: 'node -e 0', args: ['-e', '0'], samples: [] },
  { name: 'packrun --help', args: [bin, '--help'], samples: [] },
  { name: 'packrun --version', args: [bin, '--version'], samples: [] },
  { name: 'packrun --help from source (tsx)', args: [bin, '--help'], env: { PACKRUN_FROM_SOURCE: '1' }, samples: [] },
];

function timeOnce(subject: Subject): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, subject.args, { env: { ...process.env, ...subject.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`${subject.name} exited ${result.status}: ${result.stderr.toString()}`);
  return elapsed;
}

// One untimed round: the file cache warm for every subject alike.
for (const subject of subjects) timeOnce(subject);
for (let index = 0; index < iterations; index++) for (const subject of subjects) subject.samples.push(timeOnce(subject));

const [node, help, version, fromSource] = subjects.map((subject) => summary(subject.samples).p50) as [number, number, number, number];
const baseline = { name: 'node -e 0', value: round(node) };
const rows: BenchRow[] = [
  { name: '(a) packrun --help, p50', value: round(help), unit: 'ms', baseline, target: { text: '≤ 3× node -e 0', met: help <= 3 * node, limit: round(3 * node) }, note: `${(help / node).toFixed(1)}× node -e 0; ${iterations} runs each, interleaved` },
  { name: '(b) packrun --version, p50', value: round(version), unit: 'ms', baseline, note: `${(version / node).toFixed(1)}× node -e 0` },
  { name: '(c) packrun --help from source (PACKRUN_FROM_SOURCE=1, tsx), p50', value: round(fromSource), unit: 'ms', baseline, note: `${(fromSource / node).toFixed(1)}× node -e 0; what every call cost before the build` },
];
printRows('CLI start (bench/cli)', rows);
