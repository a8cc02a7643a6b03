/**
 * Runs every benchmark, one after the other (each in its own process, so one's zygotes, servers
 * and memory never weigh on the next), and rewrites BENCHMARKS.md with each figure beside the
 * baseline measured in the same run and the issue's target.
 * Run: node --import tsx bench/run-all.ts [--only spawn,memory,...]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { missText, ratioText, type BenchRow } from './lib/report.ts';

interface Bench {
  key: string;
  script: string;
  args: string[];
  /** Benchmarks owned by other parts of Packrun print their own figures; kept verbatim. */
  verbatim?: boolean;
}

const benches: Bench[] = [
  { key: 'spawn', script: 'spawn/run.ts', args: ['40'] },
  { key: 'cli', script: 'cli/run.ts', args: ['15'] },
  { key: 'api-up', script: 'api/packrun-up.ts', args: [] },
  { key: 'api', script: 'api/run.ts', args: [] },
  { key: 'sensor', script: 'sensor/run.ts', args: [] },
  { key: 'memory', script: 'memory/run.ts', args: ['20'] },
  { key: 'result', script: 'result/run.ts', args: [] },
  { key: 'store', script: 'store/run.ts', args: [] },
  { key: 'big-data', script: 'big-data/run.ts', args: [] },
  { key: 'workflow', script: 'workflow/run.ts', args: ['100'] },
  { key: 'web', script: 'web/run.ts', args: [] },
  { key: 'workflow-with-items', script: 'workflow/with-items.ts', args: ['1000'] },
  { key: 'sandbox', script: 'sandbox/run.ts', args: ['15'], verbatim: true },
  { key: 'pack-install', script: 'pack-install/run.ts', args: ['2'], verbatim: true },
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg === -1 ? undefined : new Set((process.argv[onlyArg + 1] ?? '').split(','));
const benchDir = import.meta.dirname;
const repoRoot = path.dirname(benchDir);

interface Ran {
  bench: Bench;
  code: number | null;
  seconds: number;
  stdout: string;
  stderr: string;
  tables: Array<{ title: string; rows: BenchRow[] }>;
}

function runBench(bench: Bench): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, bench.script), ...bench.args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      const tables = stdout
        .split('\n')
        .filter((line) => line.startsWith('BENCH_RESULT '))
        .map((line) => JSON.parse(line.slice('BENCH_RESULT '.length)) as { title: string; rows: BenchRow[] });
      resolve({ bench, code, seconds: (Date.now() - started) / 1000, stdout, stderr, tables });
    });
  });
}

const startedAt = new Date();
const loadAtStart = os.loadavg();
const load = loadAtStart.map((value) => value.toFixed(1)).join(', ');
const results: Ran[] = [];
for (const bench of benches) {
  if (only && !only.has(bench.key)) continue;
  process.stdout.write(`\n=== ${bench.key} (${bench.script})\n`);
  results.push(await runBench(bench));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const lines: string[] = [
  '# Benchmarks',
  '',
  `Written by \`node --import tsx bench/run-all.ts\` on ${startedAt.toISOString()}: ${os.cpus().length} cores, load average at start ${load}`,
  // The 1-minute load average beside the core count says whether absolute figures can be trusted.
  (loadAtStart[0] ?? 0) < 0.5 * os.cpus().length
    ? '(the machine was otherwise quiet; still, the ratios to the baseline of the same run are the figures to compare across machines).'
    : '(other work was running on the machine: read the ratios to the baseline of the same run, not the absolute figures).',
  'Benchmarks are never timed assertions in tests. Warm spawning and what bounds each figure: docs/fast-spawn.md.',
  '',
];
const missed: string[] = [];
for (const ran of results) {
  if (ran.bench.verbatim) continue;
  if (ran.tables.length === 0) {
    lines.push(`## ${ran.bench.key}`, '', `Did not complete (exit ${ran.code}, ${ran.seconds.toFixed(0)} s):`, '', '```', ran.stderr.trim().split('\n').slice(-15).join('\n'), '```', '');
    missed.push(`${ran.bench.key}: did not complete (see its section)`);
    continue;
  }
  if (ran.code !== 0) {
    const reason = ran.stderr.split('\n').find((line) => /Error/.test(line))?.trim() ?? '';
    lines.push(`(bench/${ran.bench.script} exited ${ran.code} after printing its figures: ${cell(reason)})`, '');
  }
  for (const table of ran.tables) {
    lines.push(`## ${table.title}`, '', '| figure | value | baseline (same run) | ratio | target | met |', '|---|---|---|---|---|---|');
    for (const row of table.rows) {
      const baseline = row.baseline ? `${row.baseline.name}: ${row.baseline.value} ${row.unit}` : '';
      const met = row.target ? (row.target.met ? 'yes' : '**no**') : '';
      lines.push(`| ${cell(row.name)} | ${row.value} ${row.unit} | ${cell(baseline)} | ${ratioText(row)} | ${cell(row.target?.text ?? '')} | ${met} |`);
      if (row.target && !row.target.met) {
        const by = missText(row);
        missed.push(`${row.name}: ${row.value} ${row.unit} against ${row.target.text}${by ? ` (${by})` : ''}.${row.bound ? ` Bound: ${row.bound}` : ''}`);
      }
    }
    const notes = table.rows.filter((row) => row.note);
    if (notes.length > 0) {
      lines.push('');
      for (const row of notes) lines.push(`- ${row.name}: ${row.note}`);
    }

    lines.push('');
  }
}
if (missed.length > 0) {
  lines.push('## Targets missed in this run, and what bounds them', '');
  for (const text of missed) lines.push(`- ${text}`);
  lines.push('');
}
for (const ran of results.filter((entry) => entry.bench.verbatim)) {
  lines.push(`## ${ran.bench.key} (bench/${ran.bench.script}, its own output)`, '', '```', (ran.code === 0 ? ran.stdout : `${ran.stdout}\n${ran.stderr}`).trim(), '```', '');
}
writeFileSync(path.join(repoRoot, 'BENCHMARKS.md'), `${lines.join('\n')}\n`);
process.stdout.write(`\nBENCHMARKS.md written (${results.length} benchmarks)\n`);
