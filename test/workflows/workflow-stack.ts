import { isCompleted, type St2Execution, type ExecutionStatus } from '@packrun/core';
import type { ServiceStack } from '../api/harness.ts';

/** Starts an action through the API as the stack's admin key; returns the execution as created. */
export async function runThroughApi(stack: ServiceStack, action: string, parameters: Record<string, unknown> = {}): Promise<St2Execution> {
  const response = await stack.call('POST', '/api/v1/executions', { action, parameters });
  if (response.statusCode !== 201) throw new Error(`POST /executions ${action}: ${response.statusCode} ${response.body}`);
  return response.json<St2Execution>();
}

export async function executionOf(stack: ServiceStack, id: string): Promise<St2Execution> {
  const response = await stack.call('GET', `/api/v1/executions/${id}`);
  if (response.statusCode !== 200) throw new Error(`GET /executions/${id}: ${response.statusCode} ${response.body}`);
  return response.json<St2Execution>();
}

/** Waits until the execution reaches one of `statuses` (any completed status by default). */
export async function waitFor(stack: ServiceStack, id: string, statuses?: ExecutionStatus[], withinMs = 60_000): Promise<St2Execution> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const record = await executionOf(stack, id);
    if (statuses ? statuses.includes(record.status) : isCompleted(record.status)) return record;
    if (Date.now() > deadline) throw new Error(`execution ${id} (${record.action.ref}) not ${statuses?.join('/') ?? 'completed'} within ${withinMs} ms: it is ${record.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function childrenOf(stack: ServiceStack, id: string, depth = -1): Promise<St2Execution[]> {
  return (await stack.call('GET', `/api/v1/executions/${id}/children?depth=${depth}`)).json<St2Execution[]>();
}
