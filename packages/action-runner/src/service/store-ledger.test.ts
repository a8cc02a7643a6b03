import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInProcessBus, createLogger, newId, nowIso, openEmbeddedStore, currentProcessIdentity, readExecutionResult, type Bus, type ExecutionRecord, type Store } from '@packrun/core';
import { createStoreLedger, type StoreLedger } from './store-ledger.ts';

let store: Store;
let bus: Bus;
let ledger: StoreLedger;
let clock = 0;
const logger = createLogger({ level: 'silent' });

beforeEach(async () => {
  store = await openEmbeddedStore({ dir: mkdtempSync(path.join(os.tmpdir(), 'packrun-ledger-')), logger });
  bus = createInProcessBus({ logger });
  ledger = createStoreLedger({
    store,
    bus,
    logger,
    staleAfterMs: 200,
    now: () => clock,
    openSecrets: (sealed) => JSON.parse(sealed) as Record<string, unknown>,
  });
});

afterEach(async () => {
  await bus.close();
  await store.close();
});

async function queued(extra: Partial<ExecutionRecord> = {}): Promise<ExecutionRecord> {
  const createdAt = nowIso();
  return store.executions.insert({
    id: newId(),
    action: 'core.local',
    pack: 'core',
    parameters: { cmd: 'true' },
    status: 'scheduled',
    log: [{ status: 'requested', at: createdAt }, { status: 'scheduled', at: createdAt }],
    createdAt,
    context: {},
    ...extra,
  });
}

const beat = (id: string) => ledger.heartbeat({ id, host: 'test', pid: 1, concurrency: 1, running: [] });

describe('store ledger', () => {
  it('lets exactly one of two concurrent claims run an execution', async () => {
    const execution = await queued();
    await Promise.all([beat('a'), beat('b')]);
    const decisions = await Promise.all([
      ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false }),
      ledger.claim({ executionId: execution.id, runnerId: 'b', redelivered: false }),
    ]);
    expect(decisions.filter((d) => d.decision === 'run')).toHaveLength(1);
    expect(decisions.filter((d) => d.decision === 'skip')).toHaveLength(1);
    const stored = await store.executions.get(execution.id);
    expect(stored?.status).toBe('running');
    expect(['a', 'b']).toContain(stored?.runnerId);
  });

  it('hands the claiming runner the sealed secrets in clear, and nobody else', async () => {
    const execution = await queued({ parameters: { token: '********' }, secretParameters: JSON.stringify({ token: 'real' }) });
    const claim = await ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false });
    expect(claim).toMatchObject({ decision: 'run', parameters: { token: 'real' } });
    expect(claim.decision === 'run' && 'secretParameters' in claim.execution).toBe(false);
  });

  it('skips a redelivered request held by a live runner, and abandons one whose runner died', async () => {
    const execution = await queued();
    await beat('a');
    await ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false });
    await beat('b');
    expect(await ledger.claim({ executionId: execution.id, runnerId: 'b', redelivered: true })).toMatchObject({ decision: 'skip' });
    expect((await store.executions.get(execution.id))?.status).toBe('running');

    clock += 250;
    await beat('b');
    expect(await ledger.claim({ executionId: execution.id, runnerId: 'b', redelivered: true })).toMatchObject({ decision: 'skip' });
    const stored = await store.executions.get(execution.id);
    expect(stored?.status).toBe('abandoned');
    expect(stored?.error?.type).toBe('EXECUTION_ABANDONED');
    expect(stored?.endedAt).toBeDefined();
  });

  it('reaps the executions of runners that stopped beating, not those of live ones', async () => {
    const dead = await queued();
    const live = await queued();
    await Promise.all([beat('dead'), beat('live')]);
    await ledger.claim({ executionId: dead.id, runnerId: 'dead', redelivered: false });
    await ledger.claim({ executionId: live.id, runnerId: 'live', redelivered: false });
    clock += 250;
    await beat('live');
    expect(await ledger.reapStaleRunners()).toBe(1);
    expect((await store.executions.get(dead.id))?.status).toBe('abandoned');
    expect((await store.executions.get(live.id))?.status).toBe('running');
  });

  it('judges a runner by its process where it can: alive while the same process runs, however late its heartbeats', async () => {
    const { pid, host: _host, ...identity } = currentProcessIdentity();
    const mine = await queued();
    const gone = await queued();
    await ledger.heartbeat({ id: 'same-process', host: 'test', pid, processIdentity: identity, concurrency: 1, running: [] });
    // Same pid, another start time: another process now wears the pid.
    await ledger.heartbeat({ id: 'pid-reused', host: 'test', pid, processIdentity: { ...identity, startTime: '1' }, concurrency: 1, running: [] });
    await ledger.claim({ executionId: mine.id, runnerId: 'same-process', redelivered: false });
    await ledger.claim({ executionId: gone.id, runnerId: 'pid-reused', redelivered: false });
    clock += 60_000;
    expect(await ledger.reapStaleRunners()).toBe(1);
    expect((await store.executions.get(mine.id))?.status).toBe('running');
    expect((await store.executions.get(gone.id))?.status).toBe('abandoned');
  });

  it('after a stall of its own, gives runners a whole heartbeat window before judging them', async () => {
    let awake = clock;
    const woken = createStoreLedger({ store, bus, logger, staleAfterMs: 200, now: () => clock, awakeSince: () => awake, openSecrets: () => ({}) });
    const execution = await queued();
    await woken.heartbeat({ id: 'far', host: 'elsewhere', pid: 1, concurrency: 1, running: [] });
    await woken.claim({ executionId: execution.id, runnerId: 'far', redelivered: false });
    // Stalled for 1000 ms: the runner's heartbeats meanwhile were never read.
    clock += 1000;
    awake = clock;
    expect(await woken.reapStaleRunners()).toBe(0);
    clock += 150;
    expect(await woken.reapStaleRunners()).toBe(0);
    clock += 100;
    expect(await woken.reapStaleRunners()).toBe(1);
  });

  it('stores a result only from the runner holding the execution', async () => {
    const execution = await queued();
    await ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false });
    const outcome = { status: 'succeeded' as const, result: { stdout: 'out' }, durationMs: 5 };
    await ledger.complete({ executionId: execution.id, runnerId: 'intruder', outcome });
    expect((await store.executions.get(execution.id))?.status).toBe('running');
    await ledger.complete({ executionId: execution.id, runnerId: 'a', outcome });
    const stored = await store.executions.get(execution.id);
    expect(stored).toMatchObject({ status: 'succeeded', result: { stdout: 'out' }, resultSize: 16, outputSize: { stdout: 3, stderr: 0 }, durationMs: 5 });
    expect(stored?.log.map((change) => change.status)).toEqual(['requested', 'scheduled', 'running', 'succeeded']);
  });

  it('tells listeners the final state with a small result, and without a large one, which is stored beside the record', async () => {
    const updates: Array<{ executionId: string; status: string; changes?: Record<string, unknown> }> = [];
    await bus.subscribe('execution-updates', async (event) => {
      updates.push(event);
    });
    const small = await queued();
    const large = await queued();
    const big = 'x'.repeat(100 * 1024);
    for (const [execution, stdout] of [[small, 'small'], [large, big]] as const) {
      await ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false });
      await ledger.complete({ executionId: execution.id, runnerId: 'a', outcome: { status: 'succeeded', result: { stdout }, durationMs: 1 } });
    }
    const finalOf = (id: string) =>
      vi.waitFor(() => {
        const found = updates.find((event) => event.executionId === id && event.status === 'succeeded');
        if (!found) throw new Error(`no final update of ${id} yet`);
        return found;
      });
    expect((await finalOf(small.id)).changes).toMatchObject({ result: { stdout: 'small' } });
    const omitted = await finalOf(large.id);
    expect(omitted.changes?.['result']).toBeUndefined();
    expect(omitted.changes).toMatchObject({ resultOmitted: true, durationMs: 1 });
    const stored = (await store.executions.get(large.id))!;
    expect(stored.result).toEqual({});
    expect(stored).toMatchObject({ resultSize: big.length + 13, outputSize: { stdout: big.length, stderr: 0 }, resultBlobs: { stdout: { size: big.length } } });
    expect(await readExecutionResult(store.executionBlobs, stored)).toEqual({ stdout: big });
  });

  it('ends an execution failed, with the store\'s reason, when the store refuses its result', async () => {
    const execution = await queued();
    await ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false });
    let deep: unknown = 'bottom';
    for (let level = 0; level < 200; level += 1) deep = [deep];
    await ledger.complete({ executionId: execution.id, runnerId: 'a', outcome: { status: 'succeeded', result: { result: deep }, durationMs: 1 } });
    const stored = await store.executions.get(execution.id);
    expect(stored).toMatchObject({ status: 'failed', error: { type: 'STORE_TOO_DEEP' } });
    expect(stored?.result).toBeUndefined();
  });

  it('does not run an execution canceled while queued, and puts a released one back to scheduled', async () => {
    const canceled = await queued({ status: 'canceled' });
    expect(await ledger.claim({ executionId: canceled.id, runnerId: 'a', redelivered: false })).toMatchObject({ decision: 'skip' });

    const released = await queued();
    await ledger.claim({ executionId: released.id, runnerId: 'a', redelivered: false });
    await ledger.release({ executionId: released.id, runnerId: 'a' });
    const stored = await store.executions.get(released.id);
    expect(stored?.status).toBe('scheduled');
    expect(stored?.runnerId).toBeUndefined();
    expect(await ledger.claim({ executionId: released.id, runnerId: 'b', redelivered: true })).toMatchObject({ decision: 'run' });
  });

  it("answers a runner's heartbeat with its executions to cancel, so a lost cancel event still arrives", async () => {
    const mine = await queued();
    const other = await queued();
    await ledger.claim({ executionId: mine.id, runnerId: 'a', redelivered: false });
    await ledger.claim({ executionId: other.id, runnerId: 'b', redelivered: false });
    expect(await ledger.heartbeat({ id: 'a', host: 'test', pid: 1, concurrency: 1, running: [mine.id] })).toEqual({ cancel: [] });
    await store.executions.update({ id: { $in: [mine.id, other.id] } }, { set: { status: 'canceling' } });
    expect(await ledger.heartbeat({ id: 'a', host: 'test', pid: 1, concurrency: 1, running: [mine.id] })).toEqual({ cancel: [mine.id] });
  });

  it('shares liveness through the store: another API process over it judges runners the same', async () => {
    const other = createStoreLedger({ store, bus, logger, staleAfterMs: 200, now: () => clock, openSecrets: () => ({}) });
    const execution = await queued();
    await beat('a');
    await ledger.claim({ executionId: execution.id, runnerId: 'a', redelivered: false });
    clock += 150;
    expect(await other.reapStaleRunners()).toBe(0);
    expect((await other.runners()).map((runner) => [runner.id, runner.alive])).toEqual([['a', true]]);
    clock += 100;
    expect(await other.reapStaleRunners()).toBe(1);
    expect((await store.executions.get(execution.id))?.status).toBe('abandoned');
  });
});
