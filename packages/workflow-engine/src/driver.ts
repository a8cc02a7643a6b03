/**
 * The interface between the workflow engine (persistence, child executions, events) and the
 * workflow drivers (Orquesta, action-chain). A driver is pure and synchronous: no I/O, no clock,
 * no randomness. Given a definition, its persisted state and one event, it returns the next state
 * and the side effects the engine must carry out. The engine persists the new state and the effects
 * together (an outbox) and then carries them out idempotently, so a process killed at any moment
 * resumes with nothing run twice.
 */
import { PackrunError, type ExecutionStatus } from '@packrun/core';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A workflow file as read from the pack (entry_point). */
export interface WorkflowSource {
  pack: string;
  file: string;
  text: string;
}

/** One problem found before anything runs: names file, task (if any) and 1-based line (if known). */
export interface WorkflowProblem {
  code: string;
  message: string;
  file: string;
  task?: string;
  line?: number;
  path?: string;
}

function describeProblems(problems: WorkflowProblem[]): string {
  return problems
    .map((problem) => {
      const where = [problem.file, problem.line === undefined ? undefined : `line ${problem.line}`, problem.task === undefined ? undefined : `task ${problem.task}`]
        .filter((part) => part !== undefined)
        .join(', ');
      return `${where}: ${problem.message}`;
    })
    .join('; ');
}

export class WorkflowInspectionError extends PackrunError {
  declare readonly code: 'WORKFLOW_INVALID';

  constructor(readonly problems: WorkflowProblem[]) {
    super('WORKFLOW_INVALID', `workflow is invalid: ${describeProblems(problems)}`, {
      hint: 'fix the workflow file at the places named',
      details: { problems: problems.map((problem) => ({ ...problem })) },
    });
    this.name = 'WorkflowInspectionError';
  }
}

/** Read-only lookups a step may need; synchronous. `keyValue` returns undefined when the key is absent
 *  and throws KeyValueNeeded(name, scope, decrypt) when the runtime has not loaded it yet: the runtime then
 *  loads it (with the workflow user's rights) and re-runs the same step (steps are pure, so re-running is safe). */
export interface StepEnvironment {
  keyValue(name: string, options: { scope: 'system' | 'user'; decrypt: boolean }): string | undefined;
  /** The items of a with-items list the driver wrote in earlier steps (ItemRecord), by index; the
   *  runtime keeps them out of the state. Throws ItemsNeeded(list) until the runtime has loaded them
   *  (as keyValue does): the driver asks only when a task's items all ended, or for `task()`. */
  items(list: string): Array<ItemEnd | null>;
  /** Wall-clock milliseconds for this step, supplied by the runtime (persisted with the event). */
  now: number;
}

/** Thrown by StepEnvironment.keyValue for a key the runtime has not loaded yet (see StepEnvironment). */
export class KeyValueNeeded extends Error {
  constructor(
    readonly key: string,
    readonly scope: 'system' | 'user',
    readonly decrypt: boolean,
  ) {
    super(`datastore key ${scope}.${key} is needed by this step`);
    this.name = 'KeyValueNeeded';
  }
}

/** Thrown by StepEnvironment.items for a list the runtime has not loaded yet; it loads it and re-runs the step. */
export class ItemsNeeded extends Error {
  constructor(readonly list: string) {
    super(`with-items list ${list} is needed by this step`);
    this.name = 'ItemsNeeded';
  }
}

/** How one with-items item ended: its status and the child's result. */
export interface ItemEnd {
  status: string;
  result: Json;
}

/** An item's end for the runtime to write beside the workflow (never in the state) before the step's
 *  state is stored. Writing the same item again replaces it, so a step re-applied writes the same. */
export interface ItemRecord extends ItemEnd {
  list: string;
  index: number;
}

export type WorkflowEvent =
  // input = the workflow action's resolved parameters; config = the workflow pack's config (never passed on in a child's context)
  | { kind: 'start'; input: Record<string, Json>; context: Record<string, Json>; config?: Record<string, Json> }
  | { kind: 'child-ended'; requestId: string; status: ExecutionStatus; result: Json }
  | { kind: 'timer-fired'; timerId: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'cancel' }
  // re-run a failed workflow from the given tasks (Orquesta); reset: the with-items tasks whose every item runs again (absent: all named)
  | { kind: 'rerun'; tasks: string[]; reset?: string[] };

/** A child execution to start. requestId is unique within the workflow execution and deterministic
 *  (e.g. `${taskId}:${route}:${attempt}` plus `:${itemIndex}` for with-items); the runtime derives the
 *  child's execution id from (workflow execution id, requestId) so a replayed request never runs twice. */
export interface ChildRequest {
  requestId: string;
  /** Action ref, e.g. "core.local" (may be another workflow). */
  action: string;
  /** Already rendered; the runtime inserts them as data (origin 'data'). */
  parameters: Record<string, Json>;
  /** e.g. { orquesta: { task_name, task_id, route, task_execution_id?, item_id? } } or { chain: { name } } */
  context: Record<string, Json>;
}

export type WorkflowStatus = 'running' | 'pausing' | 'paused' | 'resuming' | 'canceling' | 'canceled' | 'succeeded' | 'failed';

export interface StepResult {
  /** The driver's whole state, persisted as-is. */
  state: Json;
  /** Children to start now. */
  start: ChildRequest[];
  /** Delays (task delay, retry delay). */
  timers: { timerId: string; fireAt: number }[];
  /** requestIds of running children to cancel. */
  cancel: string[];
  /** requestIds of running child workflows to pause (cascade). */
  pause: string[];
  /** requestIds of paused child workflows to resume (cascade). */
  resume: string[];
  status: WorkflowStatus;
  /** With-items items that ended in this step, to write beside the workflow. */
  items?: ItemRecord[];
  /** When status is final: the workflow's result as st2 stores it, e.g. Orquesta {output: {...}} or
   *  {output: ..., errors: [...]}; action-chain {tasks: [...], published: {...}} as st2 does. */
  result?: Json;
}

export interface WorkflowDriver<Definition = unknown> {
  /** 'orquesta' | 'action-chain' */
  readonly runnerType: string;
  /** Throws WorkflowInspectionError. */
  inspect(source: WorkflowSource): Definition;
  /**
   * One step from `state`. The driver leaves `state` as it found it, copying it before changing
   * it, unless `options.stateOwned` says the caller handed over a copy of its own (the engine
   * parses one from the stored text for every attempt): copying a long state costs more than the
   * rest of a step.
   */
  step(definition: Definition, state: Json | undefined, event: WorkflowEvent, env: StepEnvironment, options?: StepOptions): StepResult;
}

export interface StepOptions {
  /** The driver may change `state` in place: nobody else holds it. */
  stateOwned?: boolean;
}
