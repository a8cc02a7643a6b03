import { createHash } from 'node:crypto';

/**
 * The execution id of a workflow's child, derived from the workflow execution's id and the
 * request's id: a step replayed after a crash asks for the same id, finds it taken, and so never
 * starts a task twice. 24 hex digits, the shape of the other execution ids.
 */
export function childExecutionId(workflowId: string, requestId: string): string {
  return createHash('sha256').update(`${workflowId}\n${requestId}`).digest('hex').slice(0, 24);
}
