import type { ExecutionStatus } from '@packrun/core';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A workflow file as read from the pack (entry_point). */
export interface WorkflowSource { pack: string; file: string; text: string }

/** One problem found before anything runs: names file, task (if any) and 1-based line (if known). */
export interface WorkflowProblem { code: string; message: string; file: string; task?: string; line?: number; path?: string }
export class WorkflowInspectionError extends Error {
  readonly code = 'WORKFLOW_INVALID';
  constructor(readonly problems: WorkflowProblem[]) {
    super(problems.map((p) => `${p.file}${p.line === undefined ? '' : `:${p.line}`}${p.task === undefined ? '' : ` (task ${p.task})`}: ${p.message}`).join('\n'));
    this.name = 'WorkflowInspectionError';
  }
}

/** Read-only lookups a step may need; synchronous. `keyValue` returns undefined when the key is absent
 *  and throws KeyValueNeeded(name, scope, decrypt) when the runtime has not loaded it yet: the runtime then
 *  loads it (with the workflow user's rights) and re-runs the same step (steps are pure, so re-running is safe). */
export interface StepEnvironment {
  keyValue(name: string, options: { scope: 'system' | 'user'; decrypt: boolean }): string | undefined;
  /** Wall-clock milliseconds for this step, supplied by the runtime (persisted with the event). */
  now: number;
}

/** Thrown by StepEnvironment.keyValue when the runtime has not loaded the key yet. */
export class KeyValueNeeded extends Error {
  constructor(readonly key: string, readonly scope: 'system' | 'user', readonly decrypt: boolean) {
    super(`the datastore key ${scope}.${key} is needed`);
    this.name = 'KeyValueNeeded';
  }
}

export type WorkflowEvent =
  | { kind: 'start'; input: Record<string, Json>; context: Record<string, Json> }  // input = the workflow action's resolved parameters
  | { kind: 'child-ended'; requestId: string; status: ExecutionStatus; result: Json }
  | { kind: 'timer-fired'; timerId: string }
  | { kind: 'pause' } | { kind: 'resume' } | { kind: 'cancel' }
  | { kind: 'rerun'; tasks: string[] };  // re-run a failed workflow from the given tasks (Orquesta)

/** A child execution to start. requestId is unique within the workflow execution and deterministic
 *  (e.g. `${taskId}:${route}:${attempt}` plus `:${itemIndex}` for with-items); the runtime derives the
 *  child's execution id from (workflow execution id, requestId) so a replayed request never runs twice. */
export interface ChildRequest {
  requestId: string;
  action: string;                       // action ref, e.g. "core.local" (may be another workflow)
  parameters: Record<string, Json>;     // already rendered; the runtime inserts them as data (origin 'data')
  context: Record<string, Json>;        // e.g. { orquesta: { task_name, task_id, route, task_execution_id? , item_id? } } or { chain: { name } }
}

export type WorkflowStatus = 'running' | 'pausing' | 'paused' | 'resuming' | 'canceling' | 'canceled' | 'succeeded' | 'failed';

export interface StepResult {
  state: Json;                                   // the driver's whole state, persisted as-is
  start: ChildRequest[];                         // children to start now
  timers: { timerId: string; fireAt: number }[]; // delays (task delay, retry delay)
  cancel: string[];                              // requestIds of running children to cancel
  pause: string[];                               // requestIds of running child workflows to pause (cascade)
  resume: string[];                              // requestIds of paused child workflows to resume (cascade)
  status: WorkflowStatus;
  /** When status is final: the workflow's result as st2 stores it, e.g. Orquesta {output: {...}} or
   *  {output: ..., errors: [...]}; action-chain {tasks: [...], published: {...}} as st2 does. */
  result?: Json;
}

export interface WorkflowDriver<Definition = unknown> {
  readonly runnerType: string;                       // 'orquesta' | 'action-chain'
  inspect(source: WorkflowSource): Definition;       // throws WorkflowInspectionError
  step(definition: Definition, state: Json | undefined, event: WorkflowEvent, env: StepEnvironment): StepResult;
}
