import {
  isCompleted,
  isPackrunError,
  isWorkflowRunner,
  isRunningHere,
  isStoreWriteFault,
  mintPackCodeToken,
  revokePackCodeTokens,
  nowIso,
  prepareResult,
  PackrunError,
  toFailure,
  type BlobRef,
  type CompletionData,
  type ActionOutcome,
  type Bus,
  type ExecutionRecord,
  type ExecutionStatus,
  type Failure,
  type Logger,
  type RunnerRecord,
  type Store,
} from '@packrun/core';
import type { TriggerInjection } from '../runner.ts';
import type { ClaimDecision, ClaimRequest, CompleteRequest, ExecutionLedger, InjectTriggerRequest, RunnerInfo } from './ledger.ts';
import { publishExecutionUpdate } from './execution-events.ts';
import { createConcurrencyPolicy } from './concurrency-policy.ts';
import { applyOutputSchema } from './output-schema.ts';

/**
 * An execution token's stored expiry: a backstop only. It authenticates while its execution runs
 * under the runner it was minted for (pack-code-access.ts in the API), and is deleted when that ends.
 */
const executionTokenTtlSeconds = 7 * 24 * 60 * 60;

/** PACKRUN_RESULT_INLINE_BYTES' default. */
const defaultInlineBytes = 16 * 1024;

export interface StoreLedgerOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** A runner not heard from for this long is dead; its executions end `abandoned`. */
  staleAfterMs: number;
  /** Decrypts an execution's sealed secret parameters (ExecutionRecord.secretParameters). */
  openSecrets: (sealed: string, executionId: string) => Record<string, unknown>;
  /** Result documents up to this many bytes of JSON stay in the record; larger ones go to blobs (PACKRUN_RESULT_INLINE_BYTES). */
  resultInlineBytes?: number;
  /** Clock in ms, for tests of staleness. */
  now?: () => number;
  /**
   * When this process last woke from a stall (its event loop held, the process stopped), in the
   * clock of `now`: heartbeats that arrived meanwhile could not be read, so a runner is judged by
   * its heartbeats only once this process has been awake for a whole staleness window. Default:
   * the ledger's creation.
   */
  awakeSince?: () => number;
  /**
   * Fires a trigger for a running execution once the ledger knows the runner holds it, deciding
   * whether that execution may (the API's, over the rules engine's dispatch). Without one,
   * core.inject_trigger fails with ACTION_NEEDS_SERVER.
   */
  injectTrigger?: TriggerInjector;
  /**
   * Told once of every execution that reached a completed status through this ledger (the
   * compare-and-set that made it so succeeded here and nowhere else): the API fires StackStorm's
   * internal triggers and applies post-run policies. Not awaited.
   */
  onCompleted?: (record: ExecutionRecord) => void;
  /** Told once of every execution that became `pending` through this ledger (an inquiry waits for its response). Not awaited. */
  onPending?: (record: ExecutionRecord) => void;
}

export type TriggerInjector = (execution: ExecutionRecord, injection: TriggerInjection) => Promise<Record<string, unknown>>;

export interface StoreLedger extends ExecutionLedger {
  /** Ends `abandoned` every running execution whose runner stopped beating; returns how many. */
  reapStaleRunners(): Promise<number>;
  /** Frees concurrency places left by executions that ended and wakes delayed executions that now fit (concurrency-policy.ts). */
  reconcilePolicies(): Promise<void>;
  /** Gives back the concurrency places of an execution that ended outside this ledger (an inquiry answered or timed out). */
  releasePlaces(record: ExecutionRecord): Promise<void>;
  runners(): Promise<Array<RunnerRecord & { alive: boolean }>>;
}

/** Runner records silent this long are forgotten. */
const forgetRunnersAfterMs = 24 * 60 * 60 * 1000;

/**
 * The execution state machine over the store. Every transition is a compare-and-set on the status
 * (and the runner id), so two runners, a cancel and the reaper can race without a lost update.
 * Runner heartbeats are stored too, so every API process judges liveness the same way.
 */
export function createStoreLedger(options: StoreLedgerOptions): StoreLedger {
  const { store, bus, logger } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();

  const awakeSince = options.awakeSince ?? (() => startedAt);

  // A runner is alive while its process is, where this process can tell (the same host, boot and
  // pid namespace: always so for `packrun up`'s own runner), however late its heartbeats; else by
  // its heartbeats. Those are counted from when this process last woke at the earliest, so a runner
  // with no heartbeat on record, or whose heartbeats a stall kept from being read, gets a whole
  // staleness window before it is declared dead.
  const aliveAt = (record: RunnerRecord | undefined, at: number): boolean => {
    if (record && isRunningHere({ pid: record.pid, ...record.processIdentity })) return true;
    const lastHeard = Math.max(record ? Date.parse(record.heartbeatAt) : startedAt, awakeSince());
    return at - lastHeard < options.staleAfterMs;
  };
  const isAlive = async (runnerId: string): Promise<boolean> => aliveAt(await store.runners.get(runnerId), now());

  // Executions whose job was given an API token by this ledger, until they end.
  const tokened = new Set<string>();

  async function transition(
    filter: Parameters<Store['executions']['updateOne']>[0],
    status: ExecutionStatus,
    set: Partial<ExecutionRecord>,
    by: string,
    reason?: string,
    unset?: Array<'runnerId' | 'startedAt'>,
  ): Promise<ExecutionRecord | undefined> {
    const at = nowIso();
    const change = reason === undefined ? { status, at, by } : { status, at, by, reason };
    const patch = { set: { ...set, status }, push: { log: change }, ...(unset ? { unset } : {}) };
    const updated = await store.executions.updateOne(filter, patch);
    if (updated) publishExecutionUpdate(bus, logger, updated);
    if (updated && isCompleted(updated.status)) {
      concurrency.completed(updated).catch((error: unknown) => logger.warn({ err: error, executionId: updated.id }, 'concurrency places not given back yet; the sweep will'));
      options.onCompleted?.(updated);
    }
    if (updated?.status === 'pending') options.onPending?.(updated);
    // The job's token ends with its run: completed, or handed back to the queue (a new claim mints
    // another). Only executions given one here cost the store a delete; a token this process
    // forgot (a restart) stays refused anyway, its execution no longer running, until it expires.
    if (updated && tokened.has(updated.id) && (isCompleted(updated.status) || updated.status === 'scheduled')) {
      tokened.delete(updated.id);
      revokePackCodeTokens(store, updated.id).catch((error: unknown) => logger.warn({ err: error, executionId: updated.id }, 'execution token not deleted; it no longer authenticates (its execution is not running)'));
    }
    return updated;
  }

  /** The token of the job about to run (ST2_ACTION_AUTH_TOKEN): its execution's user, its pack, this claim's runner. */
  async function mintExecutionToken(execution: ExecutionRecord, runnerId: string): Promise<string> {
    const pack = execution.action.slice(0, execution.action.indexOf('.'));
    tokened.add(execution.id);
    return mintPackCodeToken(store, {
      scope: { kind: 'action', id: execution.id, pack, holder: runnerId },
      user: execution.user ?? 'anonymous',
      ttlSeconds: executionTokenTtlSeconds,
    });
  }
  const concurrency = createConcurrencyPolicy({ store, bus, logger, transition });

  /** The action's output_schema applied to what its runner reported (output-schema.ts). */
  async function withOutputSchema(executionId: string, outcome: ActionOutcome): Promise<ActionOutcome> {
    const execution = await store.executions.get(executionId);
    return execution ? applyOutputSchema(await store.actions.get(execution.action), outcome) : outcome;
  }

  async function abandon(execution: ExecutionRecord, by: string, reason: string): Promise<void> {
    const endedAt = nowIso();
    await transition(
      {
        id: execution.id,
        runnerId: execution.runnerId ?? { $exists: false },
        status: { $in: ['running', 'canceling'] },
      },
      'abandoned',
      { endedAt, error: { type: 'EXECUTION_ABANDONED', message: reason } },
      by,
      reason,
    );
  }

  return {
    async claim({ executionId, runnerId, redelivered, apiToken }: ClaimRequest): Promise<ClaimDecision> {
      const admission = await concurrency.admit(executionId);
      if (!admission.admitted) return { decision: 'skip', reason: admission.reason };
      const startedAtIso = nowIso();
      const claimed = await transition(
        { id: executionId, status: { $in: ['requested', 'scheduled'] } },
        'running',
        { runnerId, startedAt: startedAtIso },
        runnerId,
      );
      if (!claimed) await concurrency.release(executionId);
      if (claimed) {
        const { secretParameters, ...execution } = claimed;
        try {
          const secrets = secretParameters === undefined ? {} : options.openSecrets(secretParameters, executionId);
          const token = apiToken ? await mintExecutionToken(claimed, runnerId) : undefined;
          return { decision: 'run', execution, parameters: { ...claimed.parameters, ...secrets }, ...(token ? { apiToken: token } : {}) };
        } catch (error) {
          const failure = toFailure(error);
          await transition({ id: executionId, runnerId, status: 'running' }, 'failed', { endedAt: nowIso(), error: failure }, runnerId, failure.message);
          return { decision: 'skip', reason: failure.message };
        }
      }
      const current = await store.executions.get(executionId);
      if (!current) return { decision: 'skip', reason: 'no such execution' };
      if (current.status === 'running' || current.status === 'canceling') {
        if (current.runnerId === runnerId) return { decision: 'skip', reason: 'already running here' };
        if (current.runnerId !== undefined && (await isAlive(current.runnerId))) {
          return { decision: 'skip', reason: `running under live runner ${current.runnerId}` };
        }
        const reason = `runner ${current.runnerId ?? 'unknown'} stopped before finishing it`;
        await abandon(current, runnerId, reason);
        logger.warn({ executionId, deadRunner: current.runnerId, redelivered }, 'execution abandoned: its runner died');
        return { decision: 'skip', reason };
      }
      return { decision: 'skip', reason: `already ${current.status}` };
    },

    async complete({ executionId, runnerId, outcome: reported, error }: CompleteRequest): Promise<void> {
      let outcome = reported;
      const held = { id: executionId, runnerId, status: { $in: ['running', 'canceling'] as ExecutionStatus[] } };
      let written: BlobRef[] = [];
      let done: ExecutionRecord | undefined;
      try {
        if (outcome) outcome = await withOutputSchema(executionId, outcome);
        const data = outcome ? await prepareResult(store.executionBlobs, executionId, outcome.result, options.resultInlineBytes ?? defaultInlineBytes, outcome.outputRuns) : undefined;
        written = data?.written ?? [];
        done = await transition(held, outcome?.status ?? 'failed', completionFields(outcome, error, data?.fields), runnerId);
      } catch (cause) {
        await store.executionBlobs.discard(executionId, written).catch(() => undefined);
        written = [];
        // A result the store refuses (too deep for a record, a full disk) must still end the
        // execution: left running, its request would be redelivered to this live runner and
        // skipped for ever. The failure without the result is a small write, which a disk that
        // refused a large blob usually still takes; it is tried a few times before giving up.
        const refused = isStoreWriteFault(cause) || (isPackrunError(cause) && cause.userError);
        if (!refused) throw cause;
        const failure = toFailure(cause);
        logger.warn({ executionId, err: cause }, 'result refused by the store; the execution ends failed');
        done = await withRetries(() => transition(held, 'failed', { ...completionFields(undefined, failure, undefined), ...(outcome ? { durationMs: outcome.durationMs } : {}) }, runnerId, failure.message));
      }
      if (!done) {
        await store.executionBlobs.discard(executionId, written).catch(() => undefined);
        logger.warn({ executionId, runnerId }, 'result not stored: the execution is no longer held by this runner');
      }
    },

    async release({ executionId, runnerId }): Promise<void> {
      await transition(
        { id: executionId, runnerId, status: 'running' },
        'scheduled',
        {},
        runnerId,
        'runner shut down before finishing; queued again',
        ['runnerId', 'startedAt'],
      );
    },

    async heartbeat(info: RunnerInfo): Promise<{ cancel: string[] }> {
      const at = new Date(now()).toISOString();
      const previous = await store.runners.get(info.id);
      await store.runners.put({ ...info, firstSeenAt: previous?.firstSeenAt ?? at, heartbeatAt: at });
      const canceling = await store.executions.find({ runnerId: info.id, status: 'canceling' });
      return { cancel: canceling.map((execution) => execution.id) };
    },

    async injectTrigger({ executionId, runnerId, ...injection }: InjectTriggerRequest): Promise<Record<string, unknown>> {
      const execution = await store.executions.get(executionId);
      if (!execution || execution.runnerId !== runnerId || execution.status !== 'running') {
        throw new PackrunError('API_RUNNER_FORBIDDEN', `runner ${runnerId} does not hold a running execution ${executionId}`, {
          details: { runner: runnerId, execution: executionId },
        });
      }
      if (!options.injectTrigger) {
        throw new PackrunError('ACTION_NEEDS_SERVER', `execution ${executionId} fires a trigger, and this deployment has no trigger dispatch`, {
          hint: 'run it under `packrun up` or `packrun api`',
          details: { execution: executionId },
        });
      }
      return options.injectTrigger(execution, injection);
    },

    async reapStaleRunners(): Promise<number> {
      const held = await store.executions.find({ status: { $in: ['running', 'canceling'] } });
      const alive = new Map<string, boolean>();
      let reaped = 0;
      for (const execution of held) {
        // A workflow is held by no runner: the workflow engines resume it from its stored state.
        if (isWorkflowRunner(execution.runnerType)) continue;
        const runnerId = execution.runnerId;
        if (runnerId !== undefined && !alive.has(runnerId)) alive.set(runnerId, await isAlive(runnerId));
        if (runnerId !== undefined && alive.get(runnerId)) continue;
        await abandon(execution, 'reaper', `runner ${execution.runnerId ?? 'unknown'} stopped sending heartbeats`);
        reaped += 1;
      }
      if (reaped > 0) logger.warn({ reaped }, 'executions abandoned: their runners stopped');
      await store.runners.remove({ heartbeatAt: { $lt: new Date(now() - forgetRunnersAfterMs).toISOString() } });
      return reaped;
    },

    reconcilePolicies: () => concurrency.reconcile(),
    releasePlaces: (record) => concurrency.completed(record),

    async runners() {
      const at = now();
      return (await store.runners.find({}, { sort: { heartbeatAt: -1 } })).map((record) => ({ ...record, alive: aliveAt(record, at) }));
    },
  };
}

/** Tries a small write again while the store's disk refuses it: space may come back (a log rotated, a purge). */
async function withRetries<R>(write: () => Promise<R>, attempts = 4, delayMs = 250): Promise<R> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (!isStoreWriteFault(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
}

function completionFields(outcome: ActionOutcome | undefined, error: Failure | undefined, data: CompletionData | undefined): Partial<ExecutionRecord> {
  // A pending execution (an inquiry) has not ended: it ends when answered or timed out.
  const set: Partial<ExecutionRecord> = { ...(outcome?.status === 'pending' ? {} : { endedAt: nowIso() }), ...data };
  if (error) set.error = error;
  if (!outcome) return set;
  if (outcome.status !== 'pending') set.durationMs = outcome.durationMs;
  if (outcome.stopReason) set.stopReason = outcome.stopReason;
  if (outcome.truncated) set.truncated = outcome.truncated;
  return set;
}
