import { st2Execution, st2Executions, type ExecutionRecord, type ExecutionViewOptions, type St2Execution, type Store } from '@packrun/core';

/** An execution as every route and the stream answer it: core's st2Execution, with its action record. */
export async function executionView(store: Pick<Store, 'actions'>, record: ExecutionRecord, options: Omit<ExecutionViewOptions, 'action'> = {}): Promise<St2Execution> {
  const action = await store.actions.get(record.action).catch(() => undefined);
  return st2Execution(record, { ...options, ...(action ? { action } : {}) });
}

/** executionView of each record, each action read once. */
export function executionViews(store: Pick<Store, 'actions'>, records: ExecutionRecord[], options: Omit<ExecutionViewOptions, 'action'> = {}): Promise<St2Execution[]> {
  return st2Executions(store.actions, records, options);
}
