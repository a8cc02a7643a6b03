import type { ExecutionRecord, ParameterOrigin } from '@packrun/core';

/**
 * What the engine needs of the API's execution service: children are created, canceled, paused
 * and resumed through the same path as any caller's executions, so they are validated, queued
 * and refused alike (an action the workflow's user could not run, the workflow cannot either).
 */
export interface TaskExecutions {
  create(input: {
    id: string;
    action: string;
    parameters: Record<string, unknown>;
    user: string;
    context: Record<string, unknown>;
    parameterOrigin: ParameterOrigin;
    parent: string;
    /** The task's notify block (StackStorm's task notify). */
    notify?: Record<string, unknown>;
  }): Promise<ExecutionRecord>;
  cancel(id: string, user: string): Promise<ExecutionRecord>;
  pause(id: string, user: string): Promise<ExecutionRecord>;
  resume(id: string, user: string): Promise<ExecutionRecord>;
  /** Told of a workflow execution the engine ended: what follows any execution's end (internal triggers, notify) follows it too. */
  completed?(record: ExecutionRecord): void;
}
