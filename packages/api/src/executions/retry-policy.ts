import type { ExecutionRecord, Logger, RetryPolicyParameters, Store } from '@packrun/core';
import type { ExecutionService } from './execution-service.ts';

/**
 * StackStorm's `action.retry` policy (st2actions/policies/retry.py): an execution that ended
 * `failed` (retry_on: failure) or `timeout` (retry_on: timeout) is asked for again, after `delay`
 * seconds, until it has been retried `max_retry_count` times. The new execution's context is the
 * old one's with `policies.retry = {applied_policy, retry_count, retried_liveaction_id}`, as st2
 * records it. Executions under a workflow are left to the workflow's own retry, as in st2: those
 * the engine recorded a `parent` for, never what a context says (a caller's context is its own).
 *
 * The retry is requested at once, held `delayed` for the policy's delay (st2 sleeps in the
 * process instead): the delay is kept in the store, so a restart during it does not lose it.
 */
export function createRetryPolicy(options: { store: Store; executions: ExecutionService; logger: Logger }): (record: ExecutionRecord) => Promise<void> {
  const { store, executions, logger } = options;
  return async (record) => {
    if (record.status !== 'failed' && record.status !== 'timeout') return;
    if (record.parent !== undefined) return;
    const policies = await store.policies.find({ resourceRef: record.action, enabled: true, policyType: 'action.retry' }, { sort: { id: 1 } });
    const retryCount = retryCountOf(record);
    for (const policy of policies) {
      const parameters = policy.parameters as unknown as RetryPolicyParameters;
      if (retryCount + 1 > parameters.max_retry_count) continue;
      const matches = (record.status === 'failed' && parameters.retry_on === 'failure') || (record.status === 'timeout' && parameters.retry_on === 'timeout');
      if (!matches) continue;
      const context = {
        ...record.context,
        policies: { retry: { applied_policy: policy.ref, retry_count: retryCount + 1, retried_liveaction_id: record.id } },
      };
      try {
        const again = await executions.requestAgain(record, context, Math.round(parameters.delay * 1000));
        logger.info({ executionId: record.id, retry: again.id, policy: policy.ref, retryCount: retryCount + 1, delaySeconds: parameters.delay }, `${record.status} execution retried by policy`);
      } catch (error) {
        logger.warn({ err: error, executionId: record.id, policy: policy.ref }, 'retry policy could not request the execution again');
      }
      return;
    }
  };
}

function retryCountOf(record: ExecutionRecord): number {
  const policies = record.context['policies'] as { retry?: { retry_count?: unknown } } | undefined;
  const count = policies?.retry?.retry_count;
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 0;
}
