import type { ParameterOrigin, Store } from '@packrun/core';
import type { ExecutionRequester } from './trigger-processor.ts';

/** The API's execution service as the rules engine needs it: create = validate, store, queue. */
export interface ExecutionCreator {
  /** Idempotent by `id`: an execution of that id already there is the answer, not a second one. */
  createOrGet(input: { id: string; action: string; parameters: Record<string, unknown>; user: string; context?: Record<string, unknown>; parameterOrigin?: ParameterOrigin }): Promise<{ record: { id: string } }>;
}

/**
 * Requests executions through the same create-and-queue path as `POST /api/v1/executions`, then
 * files the rule and the trigger instance on the execution record so executions can be listed by
 * rule. The parameters are data: the rule's templates were rendered over the trigger payload
 * already, and whatever the payload put in them is never rendered again.
 */
export function executionRequester(creator: ExecutionCreator, store: Store): ExecutionRequester {
  return async (request) => {
    const { record: execution } = await creator.createOrGet({
      id: request.id,
      action: request.action,
      parameters: request.parameters,
      user: request.user,
      context: request.context,
      parameterOrigin: { from: 'data' },
    });
    await store.executions.update({ id: execution.id }, { set: { rule: request.rule, triggerInstance: request.triggerInstance } });
    return execution;
  };
}
