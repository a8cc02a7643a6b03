import { isCompleted, jsonFitsIn, type Bus, type ExecutionRecord, type Logger } from '@packrun/core';

/**
 * A result larger than this (as JSON) is left out of the update, which every listener receives
 * and decodes: fetching the execution gets it. An 8 MiB result cost each listener ~50 ms.
 */
const resultInUpdateLimit = 64 * 1024;

/**
 * Tells live listeners (SSE streams, waiting CLIs) an execution changed. Best effort and not
 * awaited: during a broker outage a publish waits for the reconnect, and no request or state
 * change should wait with it. The store holds the truth, so a lost event delays a listener but
 * never loses a state.
 */
export function publishExecutionUpdate(bus: Bus, logger: Logger, record: ExecutionRecord): void {
  const changes: Record<string, unknown> = {};
  for (const field of ['startedAt', 'endedAt', 'runnerId', 'error', 'stopReason', 'durationMs', 'parent'] as const) {
    if (record[field] !== undefined) changes[field] = record[field];
  }
  if (record.result !== undefined && record.resultBlobs === undefined && jsonFitsIn(record.result, resultInUpdateLimit)) changes['result'] = record.result;
  else if (record.result !== undefined || record.resultBlobs !== undefined) changes['resultOmitted'] = true;
  const at = record.log.at(-1)?.at ?? new Date().toISOString();
  wakeParentWorkflow(bus, logger, record);
  bus.publish('execution-updates', { executionId: record.id, status: record.status, at, changes }).catch((error: unknown) => {
    logger.warn({ err: error, executionId: record.id }, 'execution update not broadcast');
  });
}

/**
 * Wakes the workflow engine for the parent of an execution that just ended, whoever ended it (its
 * runner, a cancel, the reaper), of a child workflow that paused, or of an inquiry now waiting. Best effort like the update itself: the engines' sweep finds a
 * child whose end no wake-up announced.
 */
export function wakeParentWorkflow(bus: Bus, logger: Logger, record: ExecutionRecord): void {
  if (record.parent === undefined || !(isCompleted(record.status) || record.status === 'paused' || record.status === 'pending')) return;
  bus.enqueue('workflows', { workflowId: record.parent, reason: 'child-ended' }).catch((error: unknown) => {
    logger.warn({ err: error, executionId: record.id, parent: record.parent }, 'parent workflow not woken; its engine sweep will');
  });
}
