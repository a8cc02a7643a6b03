/**
 * One measurement of bench/store/run.ts, in a process of its own so that its memory is the store's
 * alone. Prints one line `STORE_BENCH <json>`.
 * Run by run.ts: node --expose-gc --import tsx bench/store/worker.ts <mode> <dir> [count] [sync]
 *   write  write <count> executions through the store's part of the execution path, timed alone
 *   open   open the store, answer the first query, list the way the API lists; time and memory
 */
import { newId, nowIso, openEmbeddedStore, type ExecutionRecord, type ExecutionStatus, type Store, type StoreSync } from '../../packages/core/src/index.ts';
import { percentile } from '../lib/stats.ts';

const [mode, dir, countArg, syncArg] = process.argv.slice(2);
const count = Number(countArg ?? 0);
const sync = (syncArg ?? 'normal') as StoreSync;

async function open(): Promise<Store> {
  return openEmbeddedStore({ dir: dir!, sync });
}

const actions = Array.from({ length: 20 }, (_, index) => `pack${index % 5}.action${index}`);

/**
 * The store's part of one execution, as the services make it: the API reads the action, inserts
 * the request, reads it back and marks it scheduled once queued; the runner claims it (running)
 * and stores the outcome; the client fetches the result.
 */
async function execute(store: Store, index: number): Promise<void> {
  const action = actions[index % actions.length]!;
  await store.actions.get(action);
  const createdAt = nowIso();
  const id = newId();
  const record: ExecutionRecord = {
    id,
    action,
    pack: action.split('.')[0]!,
    runnerType: 'python-script',
    parameters: { message: `hello ${index}`, count: index, tags: ['bench', 'store'] },
    status: 'requested',
    log: [{ status: 'requested', at: createdAt, by: 'admin' }],
    createdAt,
    context: { user: 'admin' },
    user: 'admin',
  };
  await store.executions.insert(record);
  await store.executions.get(id);
  const at = (status: ExecutionStatus, by: string) => ({ status, at: nowIso(), by });
  await store.executions.updateOne({ id, status: 'requested' }, { set: { status: 'scheduled', scheduledAt: nowIso() }, push: { log: at('scheduled', 'api') } });
  await store.executions.updateOne({ id, status: { $in: ['requested', 'scheduled'] } }, { set: { status: 'running', runnerId: 'runner-1', startedAt: nowIso() }, push: { log: at('running', 'runner-1') } });
  const status: ExecutionStatus = index % 10 === 0 ? 'failed' : 'succeeded';
  const stdout = `line of output ${index}\n`.repeat(8);
  await store.executions.updateOne(
    { id, runnerId: 'runner-1', status: { $in: ['running', 'canceling'] } },
    {
      set: { status, endedAt: nowIso(), durationMs: 12, result: { exit_code: status === 'failed' ? 1 : 0, result: { value: index }, stdout, stderr: '' }, stdoutTail: stdout },
      push: { log: at(status, 'runner-1') },
    },
  );
  await store.executions.get(id);
}

async function writeMany(store: Store, total: number, offset: number): Promise<{ seconds: number; lastSeconds: number }> {
  const started = performance.now();
  let lastStarted = started;
  const lastFrom = total - Math.max(1, Math.floor(total / 10));
  for (let index = 0; index < total; index += 1) {
    if (index === lastFrom) lastStarted = performance.now();
    await execute(store, offset + index);
  }
  const ended = performance.now();
  return { seconds: (ended - started) / 1000, lastSeconds: (ended - lastStarted) / 1000 };
}

function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

async function timed(runs: number, operation: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await operation();
    samples.push(performance.now() - started);
  }
  return percentile(samples, 50);
}

const newestFirst = { sort: { createdAt: -1 as const, id: -1 as const }, limit: 50 };

let result: Record<string, unknown>;
if (mode === 'write') {
  const store = await open();
  const already = await store.executions.count({});
  const { seconds, lastSeconds } = await writeMany(store, count, already);
  await store.close();
  result = { executions: count, seconds, perSecond: count / seconds, lastPerSecond: Math.max(1, Math.floor(count / 10)) / lastSeconds };
} else if (mode === 'open') {
  const started = performance.now();
  const store = await open();
  await store.executions.find({}, { ...newestFirst, limit: 1 });
  const startupMs = performance.now() - started;
  const stored = await store.executions.count({});
  // What GET /executions?status=failed&limit=50 asks the store: the page and the total.
  const listFilteredMs = await timed(20, () => Promise.all([store.executions.count({ status: 'failed' }), store.executions.find({ status: 'failed' }, newestFirst)]));
  const listActionMs = await timed(20, () => Promise.all([store.executions.count({ action: actions[3]! }), store.executions.find({ action: actions[3]! }, newestFirst)]));
  const listAllMs = await timed(20, () => Promise.all([store.executions.count({}), store.executions.find({}, newestFirst)]));
  const rss = rssMiB();
  await store.close();
  result = { stored, startupMs, listFilteredMs, listActionMs, listAllMs, rssMiB: rss };
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.stdout.write(`STORE_BENCH ${JSON.stringify(result)}\n`);
