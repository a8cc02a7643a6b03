/**
 * The embedded store at 100k executions: how fast executions are written and listed, the memory
 * of the process holding the store, and its startup; FULL against NORMAL synchronous commits on
 * the execution path; the one-time import of an earlier version's NeDB store, from which the
 * store measured here starts. Each measurement runs in a process of its own (worker.ts), so its
 * memory is the store's alone.
 *
 * NeDB, the store this one replaced, is no longer in the tree: its figures beside each row were
 * measured by this script at commit 73113d8, in the same run as the SQLite figures of that commit
 * (BENCHMARKS.md, 2026-12-04), just before NeDB was removed.
 * Run: node --import tsx bench/store/run.ts [executions, default 100000]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newId } from '../../packages/core/src/index.ts';
import { printRows, type BenchRow } from '../lib/report.ts';
import { measurePackrunUp } from './packrun-up.ts';
import { round } from '../lib/stats.ts';

const executions = Number(process.argv[2] ?? 100_000);
const extraWrites = 1_000;

/** NeDB at 100k executions, measured at commit 73113d8 before its removal (see above). */
const nedbAt100k = { writesPerSecond: 8, listFilteredMs: 16.14, listActionMs: 8.54, listAllMs: 122.77, rssMiB: 656, startupMs: 5616 };
const nedbNote = 'NeDB: measured at 100k by this script at commit 73113d8, in the same run as SQLite then, before its removal';
const root = mkdtempSync(path.join(os.tmpdir(), 'packrun-bench-store-'));
const worker = path.join(import.meta.dirname, 'worker.ts');

type Figures = Record<string, number>;

function measure(mode: string, dir: string, count = 0, sync = 'normal'): Figures {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', worker, mode, dir, String(count), sync], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((entry) => entry.startsWith('STORE_BENCH '));
  if (child.status !== 0 || line === undefined) throw new Error(`worker ${mode} failed (${child.status}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('STORE_BENCH '.length)) as Figures;
}

/**
 * The NeDB store an earlier Packrun left with `count` executions: one JSON line per change, so
 * two per execution here (requested, then final) and a tombstone for every hundredth, removed.
 * The store measured here starts as its import (s6), the way an upgraded installation does.
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
// The first start imports it (s6); every later start opens the database (s4).
const importMiB = statSync(path.join(nedbDir, 'executions.db')).size / 1024 / 1024;
const imported = measure('open', sqliteDir);
if (imported['stored'] !== stored) throw new Error(`imported ${imported['stored']} executions, expected ${stored}`);
process.stdout.write(`writing ${extraWrites} executions on the full store, then opening it\n`);
const write = measure('write', sqliteDir, extraWrites);
const opened = measure('open', sqliteDir);

// FULL against NORMAL on the same store, interleaved so that the machine's load weighs on both alike.
const syncRates: Record<string, number[]> = { normal: [], full: [] };
for (let round_ = 0; round_ < 2; round_ += 1) {
  for (const sync of ['normal', 'full']) syncRates[sync]!.push(measure('write', sqliteDir, extraWrites / 2, sync)['perSecond']!);
}
const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

// A start after a run that did not close: the store as a killed process leaves it (store.json
// says open, a log beside the database), which SQLite checks whole before starting.
const crashedDir = path.join(root, 'crashed');
cpSync(sqliteDir, crashedDir, { recursive: true });
const manifestFile = path.join(crashedDir, 'store.json');
writeFileSync(manifestFile, JSON.stringify({ ...(JSON.parse(readFileSync(manifestFile, 'utf8')) as object), open: true }));
writeFileSync(path.join(crashedDir, 'packrun.sqlite-wal'), '');
const crashed = measure('open', crashedDir);
// The same process with an empty store: what of (s3) is Node and the code rather than the records.
const empty = measure('open', path.join(root, 'empty'));
// packrun up as shipped, in its own process, on the same store and on an empty one.
process.stdout.write('starting packrun up on the full store, then on an empty one\n');
const up = await measurePackrunUp(sqliteDir);
const upEmpty = await measurePackrunUp(path.join(root, 'empty'));
rmSync(root, { recursive: true, force: true });

const k = `${round(executions / 1000, 0)}k`;
/** NeDB's figure as the baseline, when this run measured the same 100k it was measured at. */
const nedb = (value: number): Pick<BenchRow, 'baseline'> =>
  executions === 100_000 ? { baseline: { name: 'NeDB at 73113d8, before its removal', value } } : {};
const at100k = (text: string): string => (executions === 100_000 ? text : '');
const rows: BenchRow[] = [
  {
    name: `(s1) executions written per second, ${k} stored (the store's part of the execution path: 4 writes, 3 reads)`,
    value: round(write['perSecond']!, 0),
    unit: '/s',
    ...nedb(nedbAt100k.writesPerSecond),
    compare: 'rate',
    note: `${extraWrites} executions one after the other on a store holding ${executions}, in a fresh process (its start not counted): each the API's read of the action, insert and read-back, the scheduled, running and final updates (compare-and-set, log pushed), the result read.${at100k(` ${nedbNote} (200 executions there: about 125 ms each at that size).`)}`,
  },
  {
    name: `(s2) newest 50 executions with a filter (status) and the total count, ${k} stored, p50`,
    value: round(opened['listFilteredMs']!, 2),
    unit: 'ms',
    ...nedb(nedbAt100k.listFilteredMs),
    target: { text: '≤ 50 ms', met: opened['listFilteredMs']! <= 50, limit: 50 },
    note: `what GET /executions?status=failed&limit=50 asks the store (10% of the executions failed); of one action (5%): ${round(opened['listActionMs']!, 2)} ms${at100k(` (NeDB ${nedbAt100k.listActionMs} ms)`)}; no filter: ${round(opened['listAllMs']!, 2)} ms${at100k(` (NeDB ${nedbAt100k.listAllMs} ms)`)}. That is ${round(50_000 / opened['listFilteredMs']!, 0)} executions listed per second with a filter.`,
  },
  {
    name: `(s3) memory (RSS) of the process holding the store, ${k} executions stored`,
    value: round(opened['rssMiB']!, 0),
    unit: 'MiB',
    ...nedb(nedbAt100k.rssMiB),
    compare: 'size',
    target: { text: '≤ 200 MiB', met: opened['rssMiB']! <= 200, limit: 200 },
    note: `after opening and the listings of (s2), garbage collected; the same process on an empty store: ${round(empty['rssMiB']!, 0)} MiB (Node and the code). NeDB kept every record in memory; SQLite keeps a page cache of at most 32 MiB.`,
  },
  {
    name: `(s4) startup with ${k} executions stored (open, then the first query answered)`,
    value: round(opened['startupMs']!, 0),
    unit: 'ms',
    ...nedb(nedbAt100k.startupMs),
    target: { text: '≤ 1 s', met: opened['startupMs']! <= 1000, limit: 1000 },
    note: `the store after a clean close; the Node process start and the module loading before it are not counted. After a run that did not close, the whole file is checked first (SQLite's quick_check): ${round(crashed['startupMs']!, 0)} ms.`,
  },
  {
    name: `(s7) memory (RSS) of packrun up as shipped, ${k} executions stored`,
    value: round(up.rssMiB, 0),
    unit: 'MiB',
    baseline: { name: 'packrun up on an empty store', value: round(upEmpty.rssMiB, 0) },
    compare: 'size',
    target: { text: '≤ 200 MiB', met: up.rssMiB <= 200, limit: 200 },
    note: `bin/packrun up in its own process (API, action runner, rules engine, sensor container, workflow engine; sandbox as packrun doctor reports it), read after it answered 20 listings of the newest 50 executions over HTTP.`,
  },
  {
    name: `(s8) startup of packrun up as shipped, ${k} executions stored (spawn to the first listing answered)`,
    value: round(up.startupMs, 0),
    unit: 'ms',
    baseline: { name: 'packrun up on an empty store', value: round(upEmpty.startupMs, 0) },
    note: 'the second start on that data folder (the first installs the built-in packs); includes Node, the code loading and the API listening.',
  },
  {
    name: `(s5) executions written per second with synchronous=FULL (PACKRUN_STORE_SYNC=full), ${k} stored`,
    value: round(mean(syncRates['full']!), 0),
    unit: '/s',
    baseline: { name: 'synchronous=NORMAL, the default', value: round(mean(syncRates['normal']!), 0) },
    compare: 'rate',
    note: `${extraWrites / 2} executions per run, two runs of each, interleaved. FULL syncs the write-ahead log to disk on every commit (4 per execution here), on the event loop: ${round(1000 / mean(syncRates['full']!) - 1000 / mean(syncRates['normal']!), 2)} ms more per execution.`,
  },
  {
    name: `(s6) first start on an earlier version's NeDB store of ${k} executions (import, then the first query answered)`,
    value: round(imported['startupMs']! / 1000, 1),
    unit: 's',
    note: `${imported['stored']} executions imported in one transaction from a file of a line per change (two per execution, a tombstone every hundredth), ${round(importMiB, 0)} MiB; once only: the next start opens the database as in (s4).`,
  },
];
printRows('Embedded store at 100k executions (SQLite; NeDB, the store it replaced, measured before its removal)', rows);
