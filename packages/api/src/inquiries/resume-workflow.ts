import type { ExecutionRecord, Logger, Store } from '@packrun/core';
import type { ExecutionService } from '../executions/execution-service.ts';

/** Deeper than any workflow nests: a parent chain this long is a loop in the records, not a tree. */
const maxDepth = 64;

/**
 * What StackStorm does when an inquiry inside a workflow ends (answered, or timed out by the
 * garbage collector): it asks the ROOT workflow to resume, whose resume cascades down to the
 * paused workflow waiting on the inquiry. An Orquesta workflow paused on a pending task stays
 * paused when that task ends until it is resumed; without this it would wait forever.
 * A root that is not paused (another branch keeps it running) is left alone.
 */
export function createInquiryWorkflowResume(deps: { store: Store; executions: ExecutionService; logger: Logger }): (inquiry: ExecutionRecord) => Promise<void> {
  return async (inquiry) => {
    if (inquiry.parent === undefined) return;
    let root: ExecutionRecord | undefined;
    let next: string | undefined = inquiry.parent;
    for (let depth = 0; next !== undefined && depth < maxDepth; depth += 1) {
      root = await deps.store.executions.get(next);
      next = root?.parent;
    }
    if (!root || (root.status !== 'paused' && root.status !== 'pausing')) return;
    // The user who answered (or `inquiry-ttl`) asks for the resume, as st2 passes the responder.
    const by = inquiry.log.at(-1)?.by ?? 'inquiry';
    try {
      await deps.executions.resume(root.id, by);
    } catch (error) {
      // Resumed (or canceled) by someone else in between: nothing left to do.
      deps.logger.debug({ err: error, executionId: root.id, inquiry: inquiry.id }, 'root workflow not resumed after its inquiry ended');
    }
  };
}
