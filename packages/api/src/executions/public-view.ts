import type { ExecutionRecord } from '@packrun/core';

/** An execution as the API shows it: everything but the sealed secret values. */
export function publicExecution(record: ExecutionRecord): Omit<ExecutionRecord, 'secretParameters'> {
  const { secretParameters: _sealed, ...shown } = record;
  return shown;
}
