import type { Bus, ExecutionRecord, Logger } from '@packrun/core';

/**
 * Tells live listeners (SSE streams, waiting CLIs) an execution changed. Best effort: the store
 * holds the truth, so a lost event delays a listener but never loses a state.
 */
export async function publishExecutionUpdate(bus: Bus, logger: Logger, record: ExecutionRecord): Promise<void> {
  const changes: Record<string, unknown> = {};
  for (const field of ['result', 'startedAt', 'endedAt', 'runnerId', 'error', 'stopReason', 'durationMs'] as const) {
    if (record[field] !== undefined) changes[field] = record[field];
  }
  try {
    await bus.publish('execution-updates', { executionId: record.id, status: record.status, at: record.log.at(-1)?.at ?? new Date().toISOString(), changes });
  } catch (error) {
    logger.warn({ err: error, executionId: record.id }, 'execution update not broadcast');
  }
}
