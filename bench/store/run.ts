/**
 * The embedded store at 100k executions: how fast executions are written and listed, the memory
 * of the process holding the store, and its startup; the SQLite store beside NeDB (the store it
 * replaces), both measured in this run. Also FULL against NORMAL synchronous commits on the
 * execution path, and the one-time import of an earlier version's NeDB store.
 * Each measurement runs in a process of its own (worker.ts): its memory is the store's alone.
 * Both start from the NeDB store an earlier version would leave (writeNedbStore).
 * Run: node --import tsx bench/store/run.ts [executions, default 100000]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newId } from '../../packages/core/src/index.ts';
import { printRows, type BenchRow } from '../lib/report.ts';
import { round } from '../lib/stats.ts';

const executions = Number(process.argv[2] ?? 100_000);
/** Executions written on the full store per backend: NeDB takes about a second each there. */
const extraWrites: Record<'nedb' | 'sqlite', number> = { nedb: 200, sqlite: 1_000 };
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-store-'));
const worker = path.join(import.meta.dirname, 'worker.ts');

type Figures = Record<string, number>;

function measure(mode: string, backend: string, dir: string, count = 0, sync = 'normal'): Figures {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', worker, mode, backend, dir, String(count), sync], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((entry) => entry.startsWith('STORE_BENCH '));
  if (child.status !== 0 || line === undefined) throw new Error(`worker ${mode} ${backend} failed (${child.status}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('STORE_BENCH '.length)) as Figures;
}

/**
 * The NeDB store an earlier Packrun left with `count` executions: one JSON line per change, so
 * two per execution here (requested, then final) and a tombstone for every hundredth, removed.
 * Both stores start from it: NeDB loads it, SQLite imports it (s6). Filling NeDB through its own
 * API slows down with size (about 20 executions per second at 17k stored, measured while building
 * this bench), so the fill itself is not a figure here; writing on the full store is (s1).
 */
function writeNedbStore(dir: string, count: number): number {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [JSON.stringify({ $$indexCreated: { fieldName: 'createdAt', unique: false, sparse: false } })];
  const at = Date.parse('2026-01-01T00:00:00.000Z');
  let kept = 0;
  for (let index = 0; index < count; index += 1) {
    const time = (offset: number): string => new Date(at + index * 1000 + offset).toISOString();
    const action = `pack${index % 5}.action${index % 20}`;
    const status = index % 10 === 0 ? 'failed' : 'succeeded';
    const stdout = `line of output ${index}\n`.repeat(8);
    const doc = {
      _id: newId(),
      action,
      pack: `pack${index % 5}`,
      runnerType: 'python-script',
      parameters: { message: `hello ${index}`, count: index, tags: ['bench', 'store'] },
      status,
      log: [
        { status: 'requested', at: time(0), by: 'admin' },
        { status: 'scheduled', at: time(1), by: 'api' },
        { status: 'running', at: time(2), by: 'runner-1' },
        { status, at: time(14), by: 'runner-1' },
      ],
      createdAt: time(0),
      context: { user: 'admin' },
      user: 'admin',
      scheduledAt: time(1),
      runnerId: 'runner-1',
      startedAt: time(2),
      endedAt: time(14),
      durationMs: 12,
      result: { exit_code: status === 'failed' ? 1 : 0, result: { value: index }, stdout, stderr: '' },
      stdoutTail: stdout,
    };
    lines.push(JSON.stringify({ ...doc, status: 'requested', log: doc.log.slice(0, 1) }), JSON.stringify(doc));
    if (index % 100 === 50) lines.push(JSON.stringify({ _id: doc._id, $$deleted: true }));
    else kept += 1;
  }
  writeFileSync(path.join(dir, 'executions.db'), `${lines.join('\n')}\n`);
  return kept;
}

const nedbDir = path.join(root, 'nedb');
const sqliteDir = path.join(root, 'sqlite');
process.stdout.write(`writing an earlier version's NeDB store of ${executions} executions\n`);
const stored = writeNedbStore(nedbDir, executions);
cpSync(nedbDir, sqliteDir, { recursive: true });
// The SQLite store's first start imports it (s6); every later start opens the database (s4).
const importMiB = statSync(path.join(nedbDir, 'executions.db')).size / 1024 / 1024;
const imported: Figures = { ...measure('open', 'sqlite', sqliteDir), importMiB };
if (imported['stored'] !== stored) throw new Error(`imported ${imported['stored']} executions, expected ${stored}`);

const backends = ['nedb', 'sqlite'] as const;
const write: Record<string, Figures> = {};
const opened: Record<string, Figures> = {};
for (const backend of backends) {
  const dir = backend === 'nedb' ? nedbDir : sqliteDir;
  process.stdout.write(`${backend}: writing ${extraWrites[backend]} executions on the full store, then opening it\n`);
  write[backend] = measure('write', backend, dir, extraWrites[backend]);
  opened[backend] = measure('open', backend, dir);
}

// FULL against NORMAL on the same store, interleaved so that the machine's load weighs on both alike.
const syncRates: Record<string, number[]> = { normal: [], full: [] };
for (let round_ = 0; round_ < 2; round_ += 1) {
  for (const sync of ['normal', 'full']) syncRates[sync]!.push(measure('write', 'sqlite', sqliteDir, extraWrites.sqlite / 2, sync)['perSecond']!);
}
const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

// A start after a run that did not close: the store as a killed process leaves it (store.json
// says open, a log beside the database), which SQLite checks whole before starting.
const crashedDir = path.join(root, 'crashed');
cpSync(sqliteDir, crashedDir, { recursive: true });
const manifestFile = path.join(crashedDir, 'store.json');
writeFileSync(manifestFile, JSON.stringify({ ...(JSON.parse(readFileSync(manifestFile, 'utf8')) as object), open: true }));
writeFileSync(path.join(crashedDir, 'packrun.sqlite-wal'), '');
const crashed = measure('open', 'sqlite', crashedDir);
// The same process with an empty store: what of (s3) is Node and the code rather than the records.
const empty = measure('open', 'sqlite', path.join(root, 'empty'));
rmSync(root, { recursive: true, force: true });

const nedb = (figures: Record<string, Figures>, key: string): number => figures['nedb']![key]!;
const sqlite = (figures: Record<string, Figures>, key: string): number => figures['sqlite']![key]!;
const k = `${round(executions / 1000, 0)}k`;
const rows: BenchRow[] = [
  {
    name: `(s1) executions written per second, ${k} stored (the store's part of the execution path: 4 writes, 3 reads)`,
    value: round(sqlite(write, 'perSecond'), 0),
    unit: '/s',
    baseline: { name: 'NeDB', value: round(nedb(write, 'perSecond'), 0) },
    compare: 'rate',
    note: `executions one after the other (SQLite ${extraWrites.sqlite}, NeDB ${extraWrites.nedb}) on a store holding ${executions}, in a fresh process (its start not counted): each the API's read of the action, insert and read-back, the scheduled, running and final updates (compare-and-set, log pushed), the result read.`,
  },
  {
    name: `(s2) newest 50 executions with a filter (status) and the total count, ${k} stored, p50`,
    value: round(sqlite(opened, 'listFilteredMs'), 2),
    unit: 'ms',
    baseline: { name: 'NeDB', value: round(nedb(opened, 'listFilteredMs'), 2) },
    target: { text: '≤ 50 ms', met: sqlite(opened, 'listFilteredMs') <= 50, limit: 50 },
    note: `what GET /executions?status=failed&limit=50 asks the store (10% of the executions failed); of one action (5%): SQLite ${round(sqlite(opened, 'listActionMs'), 2)} ms, NeDB ${round(nedb(opened, 'listActionMs'), 2)} ms; no filter: SQLite ${round(sqlite(opened, 'listAllMs'), 2)} ms, NeDB ${round(nedb(opened, 'listAllMs'), 2)} ms. That is ${round(50_000 / sqlite(opened, 'listFilteredMs'), 0)} executions listed per second with a filter (NeDB ${round(50_000 / nedb(opened, 'listFilteredMs'), 0)}).`,
  },
  {
    name: `(s3) memory (RSS) of the process holding the store, ${k} executions stored`,
    value: round(sqlite(opened, 'rssMiB'), 0),
    unit: 'MiB',
    baseline: { name: 'NeDB', value: round(nedb(opened, 'rssMiB'), 0) },
    compare: 'size',
    target: { text: '≤ 200 MiB', met: sqlite(opened, 'rssMiB') <= 200, limit: 200 },
    note: `after opening and the listings of (s2), garbage collected; the same process on an empty store: ${round(empty['rssMiB']!, 0)} MiB (Node and the code). NeDB keeps every record in memory; SQLite a page cache of at most 32 MiB.`,
  },
  {
    name: `(s4) startup with ${k} executions stored (open, then the first query answered)`,
    value: round(sqlite(opened, 'startupMs'), 0),
    unit: 'ms',
    baseline: { name: 'NeDB', value: round(nedb(opened, 'startupMs'), 0) },
    target: { text: '≤ 1 s', met: sqlite(opened, 'startupMs') <= 1000, limit: 1000 },
    note: `the store after a clean close; the Node process start and the module loading before it are not counted. After a run that did not close, the whole file is checked first (SQLite's quick_check): ${round(crashed['startupMs']!, 0)} ms.`,
  },
  {
    name: `(s5) executions written per second with synchronous=FULL (PACKRUN_STORE_SYNC=full), ${k} stored`,
    value: round(mean(syncRates['full']!), 0),
    unit: '/s',
    baseline: { name: 'synchronous=NORMAL, the default', value: round(mean(syncRates['normal']!), 0) },
    compare: 'rate',
    note: `${extraWrites.sqlite / 2} executions per run, two runs of each, interleaved. FULL syncs the write-ahead log to disk on every commit (4 per execution here), on the event loop: ${round((1000 / mean(syncRates['full']!)) - (1000 / mean(syncRates['normal']!)), 2)} ms more per execution.`,
  },
  {
    name: `(s6) first start on an earlier version's NeDB store of ${k} executions (import, then the first query answered)`,
    value: round(imported['startupMs']! / 1000, 1),
    unit: 's',
    note: `${imported['stored']} executions imported in one transaction from a file of a line per change (two per execution, a tombstone every hundredth), ${round(importMiB, 0)} MiB; once only: the next start opens the database as in (s4).`,
  },
];
printRows('Embedded store at 100k executions (SQLite, NeDB beside it)', rows);
