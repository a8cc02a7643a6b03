import type { Collection, ExecutionBlobs, ExecutionRecord, Filter, WorkflowItemRecord, WorkflowRecord } from './types.ts';

/** Executions removed per round: bounds the memory of a purge of any size. */
const batch = 500;

/**
 * Removes the executions matching `filter`, then their blobs, a batch at a time: the records go
 * first, so a crash in between leaves blobs no record names (swept at the next open of the
 * embedded store) rather than a record whose result is gone. A workflow execution's engine state
 * (its `workflows` record, same id, and its with-items tasks' `workflowItems`) goes with it.
 */
export async function removeExecutionsWithBlobs(
  executions: Collection<ExecutionRecord>,
  blobs: ExecutionBlobs,
  filter: Filter<ExecutionRecord>,
  workflows: Collection<WorkflowRecord>,
  workflowItems: Collection<WorkflowItemRecord>,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const found = await executions.find(filter, { sort: { id: 1 }, limit: batch });
    if (found.length === 0) return removed;
    const ids = found.map((record) => record.id);
    removed += await executions.remove({ id: { $in: ids } });
    await blobs.removeAll(found.filter((record) => record.resultBlobs !== undefined).map((record) => record.id));
    const workflowIds = found.filter((record) => record.children !== undefined).map((record) => record.id);
    if (workflowIds.length > 0) {
      await workflows.remove({ id: { $in: workflowIds } });
      await workflowItems.remove({ workflow: { $in: workflowIds } });
    }
    if (found.length < batch) return removed;
    // The embedded store answers synchronously: a macrotask turn between rounds lets the rest of
    // the process (requests, heartbeats) run during a large removal.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
