import { completedStatuses, type ExecutionStatus } from '../execution.ts';
import { PackrunError } from '../errors.ts';
import type { PackrunConfig } from '../config.ts';
import type { Collection, ExecutionRecord, Filter, Sort, Store, TriggerInstanceStatus } from './types.ts';

/**
 * How long records that only grow are kept (PACKRUN_RETENTION_*): by age, by count, or both.
 * An execution that has not completed, and a trigger instance the rules engine has not finished,
 * are never removed, whatever their age or rank.
 */
export interface RetentionRule {
  /** Removed once older than this (executions: by createdAt; trigger instances: occurredAt; enforcements: enforcedAt). */
  maxAgeMs?: number;
  /** Only the newest this many are kept. */
  maxCount?: number;
}

export interface RetentionPolicy {
  executions: RetentionRule;
  triggerInstances: RetentionRule;
  ruleEnforcements: RetentionRule;
}

const dayMs = 24 * 60 * 60 * 1000;

/** The policy the PACKRUN_RETENTION_* settings give. */
export function retentionPolicy(config: Pick<PackrunConfig, 'retentionExecutionsDays' | 'retentionExecutionsCount' | 'retentionTriggerInstancesDays' | 'retentionTriggerInstancesCount' | 'retentionEnforcementsDays' | 'retentionEnforcementsCount'>): RetentionPolicy {
  const rule = (days: number | undefined, count: number | undefined): RetentionRule => ({
    ...(days === undefined ? {} : { maxAgeMs: days * dayMs }),
    ...(count === undefined ? {} : { maxCount: count }),
  });
  return {
    executions: rule(config.retentionExecutionsDays, config.retentionExecutionsCount),
    triggerInstances: rule(config.retentionTriggerInstancesDays, config.retentionTriggerInstancesCount),
    ruleEnforcements: rule(config.retentionEnforcementsDays, config.retentionEnforcementsCount),
  };
}

export interface RetentionReport {
  executions: number;
  triggerInstances: number;
  ruleEnforcements: number;
}

/** Records removed per round: bounds memory, and how long one round holds the embedded store's thread. */
const batchSize = 500;

/**
 * Lets timers, I/O and requests run between two rounds. The embedded store answers synchronously,
 * so without a macrotask turn a purge of a million records would hold the event loop throughout.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const finishedTriggerInstances: TriggerInstanceStatus[] = ['processed', 'processing_failed'];

/**
 * Removes, a batch at a time, the records of `collection` matching `filter` beyond the newest
 * `keep` by `field` (all of them with keep 0); `remove` takes one batch of ids.
 */
async function removeBatches<T extends { id: string }>(
  collection: Collection<T>,
  filter: Filter<T>,
  options: { field: keyof T & string; keep: number; remove: (ids: string[]) => Promise<number> },
): Promise<number> {
  let removed = 0;
  for (;;) {
    const sort = { [options.field]: -1, id: -1 } as Sort<T>;
    const found = await collection.find(filter, { sort, skip: options.keep, limit: batchSize });
    if (found.length === 0) return removed;
    removed += await options.remove(found.map((record) => record.id));
    if (found.length < batchSize) return removed;
    await yieldToEventLoop();
  }
}

export interface ExecutionPurge {
  /** Executions created before this ISO time; required, so a purge never takes everything by accident. */
  before: string;
  action?: string;
  /** A completed status; without one, every completed status. */
  status?: ExecutionStatus;
}

/**
 * Removes completed executions created before `before` (optionally of one action or status),
 * with their blobs, in batches that leave the event loop free in between. Like `st2 execution
 * purge`, it never removes an execution still requested, scheduled, running, canceling or pending (an inquiry).
 */
export async function purgeExecutions(store: Store, purge: ExecutionPurge): Promise<number> {
  if (purge.status !== undefined && !completedStatuses.has(purge.status)) {
    throw new PackrunError('PURGE_STATUS_INVALID', `executions that are ${purge.status} are never purged; name a completed status (${[...completedStatuses].join(', ')})`, {
      details: { status: purge.status },
    });
  }
  const filter: Filter<ExecutionRecord> = {
    createdAt: { $lt: purge.before },
    status: purge.status ?? { $in: [...completedStatuses] },
    ...(purge.action === undefined ? {} : { action: purge.action }),
  };
  return await removeExecutionBatches(store, filter, 0);
}

function removeExecutionBatches(store: Store, filter: Filter<ExecutionRecord>, keep: number): Promise<number> {
  return removeBatches(store.executions, filter, { field: 'createdAt', keep, remove: (ids) => store.removeExecutions({ id: { $in: ids } }) });
}

/** Applies `policy` once: what is older than its age, then what is beyond its count. */
export async function applyRetention(store: Store, policy: RetentionPolicy, now: number = Date.now()): Promise<RetentionReport> {
  const cutoff = (rule: RetentionRule): string | undefined => (rule.maxAgeMs === undefined ? undefined : new Date(now - rule.maxAgeMs).toISOString());
  const report: RetentionReport = { executions: 0, triggerInstances: 0, ruleEnforcements: 0 };

  const completed: Filter<ExecutionRecord> = { status: { $in: [...completedStatuses] } };
  const executionsBefore = cutoff(policy.executions);
  if (executionsBefore !== undefined) report.executions += await removeExecutionBatches(store, { ...completed, createdAt: { $lt: executionsBefore } }, 0);
  if (policy.executions.maxCount !== undefined) report.executions += await removeExecutionBatches(store, completed, policy.executions.maxCount);

  const finished = { status: { $in: finishedTriggerInstances } };
  const removeInstances = (ids: string[]): Promise<number> => store.triggerInstances.remove({ id: { $in: ids } });
  const instancesBefore = cutoff(policy.triggerInstances);
  if (instancesBefore !== undefined) {
    report.triggerInstances += await removeBatches(store.triggerInstances, { ...finished, occurredAt: { $lt: instancesBefore } }, { field: 'occurredAt', keep: 0, remove: removeInstances });
  }
  if (policy.triggerInstances.maxCount !== undefined) {
    report.triggerInstances += await removeBatches(store.triggerInstances, finished, { field: 'occurredAt', keep: policy.triggerInstances.maxCount, remove: removeInstances });
  }

  const removeEnforcements = (ids: string[]): Promise<number> => store.ruleEnforcements.remove({ id: { $in: ids } });
  const enforcementsBefore = cutoff(policy.ruleEnforcements);
  if (enforcementsBefore !== undefined) {
    report.ruleEnforcements += await removeBatches(store.ruleEnforcements, { enforcedAt: { $lt: enforcementsBefore } }, { field: 'enforcedAt', keep: 0, remove: removeEnforcements });
  }
  if (policy.ruleEnforcements.maxCount !== undefined) {
    report.ruleEnforcements += await removeBatches(store.ruleEnforcements, {}, { field: 'enforcedAt', keep: policy.ruleEnforcements.maxCount, remove: removeEnforcements });
  }
  return report;
}
