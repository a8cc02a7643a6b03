import type { Bus, ExecutionRecord, Logger } from '@packrun/core';

/**
 * Tells live listeners (SSE streams, waiting CLIs) an execution changed. Best effort and not
 * awaited: during a broker outage a publish waits for the reconnect, and no request or state
 * change should wait with it. The store holds the truth, so a lost event delays a listener but
 * never loses a state.
 */
export function publishExecutionUpdate(bus: Bus, logger: Logger, record: ExecutionRecord): void {
  const changes: Record<string, unknown> = {};
  for (const field of ['result', 'startedAt', 'endedAt', 'runnerId', 'error', 'stopReason', 'durationMs'] as const) {
    if (record[field] !== undefined) changes[field] = record[field];
  }
  const at = record.log.at(-1)?.at ?? new Date().toISOString();
  bus.publish('execution-updates', { executionId: record.id, status: record.status, at, changes }).catch((error: unknown) => {
    logger.warn({ err: error, executionId: record.id }, 'execution update not broadcast');
  });
}
