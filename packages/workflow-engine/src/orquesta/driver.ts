import type { ChildRequest, ItemRecord, Json, StepEnvironment, StepOptions, StepResult, WorkflowDriver, WorkflowEvent, WorkflowSource, WorkflowStatus } from '../driver.ts';
import { WorkflowInspectionError } from '../driver.ts';
import { childExecutionId } from '../child-id.ts';
import { Conductor } from './conductor.ts';
import { itemsFromList } from './item-statuses.ts';
import { clone } from '../clone-json.ts';
import { entryKey, isDict, type ConductorState, type NextTask } from './state.ts';
import { Expressions } from './expressions.ts';
import { WorkflowGraph } from './graph.ts';
import { inspectWorkflow } from './inspect.ts';
import { rerunWorkflow } from './rerun.ts';
import { readWorkflowSpec } from './spec.ts';
import { abendedStatuses, completedStatuses } from './statuses.ts';

/**
 * The Orquesta driver: pure and synchronous. Each step takes the persisted state and one event,
 * moves the conductor, and returns the new state with the children to start, the timers to set
 * and the children to pause, resume or cancel. Child request ids are deterministic
 * (`task:route:run[:item]`), so a step the runtime replays asks for the same children again.
 */

export interface OrquestaDefinition {
  graph: WorkflowGraph;
}

interface RequestRecord {
  task: string;
  route: number;
  item?: number;
  /** The child's last reported status; 'requested' until it reports. */
  status: string;
  /** Its start is held until this timer fires (task or retry delay). */
  timer?: string;
}

interface DriverState {
  conductor: ConductorState;
  /** The children not ended yet, by request id. */
  requests: Record<string, RequestRecord>;
  /** Children waiting for their delay, by timer id. */
  held: Record<string, ChildRequest>;
  /** How many times each task entry has started, which numbers its request ids. */
  runs: Record<string, number>;
  /**
   * With-items: the list each task entry's items end in, by task entry. The items themselves are
   * written beside the workflow (StepResult.items), never here: a step then copies a state whose
   * size does not grow with the items that ended.
   */
  itemLists: Record<string, string>;
  /** States written before item lists: each item's `{status, result}` by task entry (moved out when read). */
  items?: Record<string, Json[]>;
}

/** How many action-less tasks one step runs in a row before it calls it a loop. */
const maxInlineTasks = 10_000;

/** st2's child execution status, as orquesta reads it. */
function taskStatusOf(status: string): string {
  return status === 'requested' || status === 'scheduled' ? 'running' : status;
}

function workflowStatusOf(status: string): WorkflowStatus {
  if (status === 'timeout' || status === 'abandoned') return 'failed';
  if (['running', 'pausing', 'paused', 'resuming', 'canceling', 'canceled', 'succeeded', 'failed'].includes(status)) return status as WorkflowStatus;
  return 'running';
}

class Step {
  readonly start: ChildRequest[] = [];
  readonly timers: { timerId: string; fireAt: number }[] = [];
  readonly cancel: string[] = [];
  readonly pause: string[] = [];
  readonly resume: string[] = [];
  /** Items that ended in this step, for the runtime to write beside the workflow. */
  readonly itemWrites: ItemRecord[] = [];
  readonly conductor: Conductor;

  constructor(
    readonly definition: OrquestaDefinition,
    readonly state: DriverState,
    readonly env: StepEnvironment,
    expressions: Expressions,
  ) {
    this.conductor = new Conductor(
      definition.graph,
      expressions,
      state.conductor,
      (name, scope, decrypt) => env.keyValue(name, { scope, decrypt }),
      (list, count) => this.itemEnds(list, count),
      (taskId, route, oneChild) => this.executionIds(taskId, route, oneChild),
    );
    this.moveOutStoredItems();
    this.readItemStatuses();
  }

  /** A list's items as they ended, by index (null: not ended), with those this step wrote over what the runtime loaded. */
  itemEnds(list: string, count: number): Json[] {
    const loaded = this.env.items(list);
    const ends: Json[] = Array.from({ length: count }, (_, index) => {
      const end = loaded[index];
      return end === undefined || end === null ? null : { status: end.status, result: end.result };
    });
    for (const written of this.itemWrites) {
      if (written.list === list && written.index < count) ends[written.index] = { status: written.status, result: written.result };
    }
    return ends;
  }

  /** The workflow execution's id and the child execution of a task entry's latest run (derived as the runtime derives it). */
  private executionIds(taskId: string, route: number, oneChild: boolean): { workflow: string | null; task: string | null } {
    const st2 = this.state.conductor.contexts[0]?.['st2'];
    const workflow = isDict(st2) && typeof st2['action_execution_id'] === 'string' ? st2['action_execution_id'] : null;
    const run = this.state.runs[entryKey(taskId, route)];
    const task = workflow === null || run === undefined || !oneChild ? null : childExecutionId(workflow, `${taskId}:${route}:${run}`);
    return { workflow, task };
  }

  /** A state written before item lists keeps its items inside: they are written out to lists named after their entries. */
  private moveOutStoredItems(): void {
    if (this.state.items === undefined) return;
    for (const [key, records] of Object.entries(this.state.items)) {
      this.state.itemLists[key] = key;
      records.forEach((record, index) => {
        if (isDict(record) && typeof record['status'] === 'string') this.itemWrites.push({ list: key, index, status: record['status'], result: record['result'] ?? null });
      });
    }
    delete this.state.items;
  }

  /** A state written before kept item statuses as `{status}` objects: read as the string they are now. */
  private readItemStatuses(): void {
    for (const staged of this.state.conductor.staged) {
      const items = staged.items as unknown;
      if (Array.isArray(items)) staged.items = itemsFromList(items as Array<{ status: string }>);
    }
  }

  activeRequests(): string[] {
    return Object.entries(this.state.requests)
      .filter(([, request]) => !completedStatuses.has(request.status) && request.timer === undefined)
      .map(([id]) => id);
  }

  /** Starts what the conductor says is next, until nothing more is ready. */
  advance(): void {
    let inline = 0;
    for (let next = this.conductor.nextTasks(); next.length > 0; next = this.conductor.nextTasks()) {
      for (const task of next) this.markRunning(task);
      for (const task of next) {
        if (task.spec.action === undefined || task.itemsCount === 0) {
          if (++inline > maxInlineTasks) {
            this.conductor.logError(`Exception: more than ${maxInlineTasks} tasks without an action ran in a row; the workflow loops without running anything.`, { taskId: task.id, route: task.route });
            this.conductor.requestStatus('failed');
            return;
          }
          // An action-less task, or one with no items, succeeds as soon as it runs.
          this.conductor.updateTask(task.id, task.route, task.itemsCount === 0 ? { status: 'succeeded', accumulated: [] } : { status: 'succeeded', result: null }, this.env.now);
        } else {
          this.requestChildren(task);
        }
      }
    }
  }

  private markRunning(task: NextTask): void {
    const key = entryKey(task.id, task.route);
    const entry = this.conductor.entry(task.id, task.route);
    const items = this.conductor.staged(task.id, task.route)?.items;
    const freshItems = items === undefined || !/[^-]/.test(items);
    // A new run (first, retry, loop, rerun) gets request ids of its own; with-items keep the
    // results of items a rerun does not run again.
    const newRun = entry === undefined || entry.status === undefined || entry.status === 'retrying' || completedStatuses.has(entry.status);
    if (newRun) this.state.runs[key] = (this.state.runs[key] ?? 0) + 1;
    if (task.spec.with !== undefined && newRun && (freshItems || entry?.status === 'retrying')) {
      // A run of fresh items gets a list of its own; a rerun of some items keeps the others' list.
      this.state.itemLists[key] = `${key}:${this.state.runs[key]}`;
    }
    if (task.itemsCount === 0) {
      this.conductor.updateTask(task.id, task.route, { status: 'running' }, this.env.now);
      return;
    }
    for (const action of task.actions) {
      this.conductor.updateTask(task.id, task.route, action.itemId === undefined ? { status: 'running' } : { status: 'running', itemId: action.itemId }, this.env.now);
    }
  }

  private requestChildren(task: NextTask): void {
    const key = entryKey(task.id, task.route);
    const run = this.state.runs[key] ?? 1;
    for (const action of task.actions) {
      const requestId = `${task.id}:${task.route}:${run}${action.itemId === undefined ? '' : `:${action.itemId}`}`;
      if (action.input === null || typeof action.input !== 'object' || Array.isArray(action.input)) {
        this.conductor.logError(`TypeError: The input of task "${task.id}" is not a dict.`, { taskId: task.id, route: task.route });
        this.conductor.requestStatus('failed');
        return;
      }
      const orquesta: Record<string, Json> = { task_name: task.id, task_id: task.id, route: task.route, task_route: task.route };
      if (action.itemId !== undefined) orquesta['item_id'] = action.itemId;
      const request: ChildRequest = { requestId, action: action.action!, parameters: action.input, context: { orquesta } };
      const record: RequestRecord = { task: task.id, route: task.route, status: 'requested' };
      if (action.itemId !== undefined) record.item = action.itemId;
      const delay = this.delayOf(task, action.itemId);
      if (delay > 0) {
        const timerId = `delay:${requestId}`;
        record.timer = timerId;
        this.state.held[timerId] = request;
        this.timers.push({ timerId, fireAt: this.env.now + delay * 1000 });
      } else {
        this.start.push(request);
      }
      this.state.requests[requestId] = record;
    }
  }

  /** st2's eval_action_execution_delay: with items and a concurrency, only the first batch waits. */
  private delayOf(task: NextTask, itemId: number | undefined): number {
    const delay = task.delay ?? 0;
    if (delay <= 0) return 0;
    if (itemId === undefined || task.concurrency === null || task.concurrency === undefined) return delay;
    return itemId < task.concurrency ? delay : 0;
  }

  childEnded(requestId: string, reported: string, result: Json): void {
    const request = this.state.requests[requestId];
    if (request === undefined || completedStatuses.has(request.status)) return;
    const status = taskStatusOf(reported);
    if (status === request.status) return;
    request.status = status;
    // Only children still running are kept: an event for one that ended, replayed, finds nothing.
    if (completedStatuses.has(status)) delete this.state.requests[requestId];
    const key = entryKey(request.task, request.route);
    if (request.item !== undefined) {
      const list = this.state.itemLists[key] ?? key;
      if (completedStatuses.has(status)) this.itemWrites.push({ list, index: request.item, status, result });
      this.conductor.updateTask(request.task, request.route, { status, result, itemId: request.item, itemList: list }, this.env.now);
    } else {
      this.conductor.updateTask(request.task, request.route, { status, result }, this.env.now);
    }
  }

  timerFired(timerId: string): void {
    const request = this.state.held[timerId];
    if (request === undefined) return;
    delete this.state.held[timerId];
    const record = this.state.requests[request.requestId];
    if (record !== undefined) delete record.timer;
    this.start.push(request);
  }

  /** Children held for a delay never started: a cancel ends them here. */
  cancelHeld(): void {
    for (const [timerId, request] of Object.entries(this.state.held)) {
      delete this.state.held[timerId];
      const record = this.state.requests[request.requestId];
      if (record !== undefined) delete record.timer;
      this.childEnded(request.requestId, 'canceled', null);
    }
  }

  result(): StepResult {
    const status = workflowStatusOf(this.conductor.state.status);
    const step: StepResult = {
      state: this.state as unknown as Json,
      start: this.start,
      timers: this.timers,
      cancel: this.cancel,
      pause: this.pause,
      resume: this.resume,
      status,
    };
    if (this.itemWrites.length > 0) step.items = this.itemWrites;
    if (status === 'succeeded' || status === 'failed' || status === 'canceled') {
      const result: Record<string, Json> = { output: this.conductor.state.output };
      if (abendedStatuses.has(this.conductor.state.status)) result['errors'] = this.conductor.state.errors as unknown as Json;
      step.result = result;
    }
    return step;
  }
}

/**
 * The context a workflow starts with, as st2's orquesta runner builds it: `st2` (the execution id,
 * user, pack, action, API URL) and `parent`, the execution's own context. A runtime that passes
 * `st2` itself has it used as given.
 */
function workflowContext(context: Record<string, Json>): Record<string, Json> {
  const { st2, ...parent } = context;
  if (isDict(st2)) return { st2, parent };
  const field = (name: string): Json => parent[name] ?? null;
  return {
    st2: { action_execution_id: field('execution_id'), api_url: field('api_url'), user: field('user'), pack: field('pack'), action: field('action'), runner: 'orquesta' },
    parent,
  };
}

class OrquestaDriver implements WorkflowDriver<OrquestaDefinition> {
  readonly runnerType = 'orquesta';
  private readonly expressions = new Expressions();

  inspect(source: WorkflowSource): OrquestaDefinition {
    const { spec, problems: shape } = readWorkflowSpec(source);
    const graph = new WorkflowGraph(spec);
    const problems = [...shape, ...inspectWorkflow(spec, graph, this.expressions)];
    if (problems.length > 0) throw new WorkflowInspectionError(problems);
    return { graph };
  }

  step(definition: OrquestaDefinition, state: Json | undefined, event: WorkflowEvent, env: StepEnvironment, options?: StepOptions): StepResult {
    return this.expressions.withStepBudget(() => this.takeStep(definition, state, event, env, options?.stateOwned === true));
  }

  private takeStep(definition: OrquestaDefinition, state: Json | undefined, event: WorkflowEvent, env: StepEnvironment, stateOwned: boolean): StepResult {
    const current: DriverState =
      state === undefined || state === null
        ? { conductor: Conductor.initialState(), requests: {}, held: {}, runs: {}, itemLists: {} }
        : ((stateOwned ? state : clone(state)) as unknown as DriverState);
    current.itemLists ??= {};
    const step = new Step(definition, current, env, this.expressions);
    const conductor = step.conductor;
    switch (event.kind) {
      case 'start':
        if (conductor.state.status !== 'null') break;
        conductor.begin(event.input, workflowContext(event.context));
        step.advance();
        break;
      case 'child-ended':
        step.childEnded(event.requestId, event.status, event.result);
        step.advance();
        break;
      case 'timer-fired':
        step.timerFired(event.timerId);
        break;
      case 'pause':
        if (conductor.requestStatus('pausing')) step.pause.push(...step.activeRequests());
        break;
      case 'resume':
        if (conductor.requestStatus('resuming')) {
          step.resume.push(...Object.entries(current.requests).filter(([, request]) => request.status === 'paused').map(([id]) => id));
          step.advance();
        }
        break;
      case 'cancel':
        if (conductor.requestStatus('canceling')) {
          step.cancel.push(...step.activeRequests());
          step.cancelHeld();
        }
        break;
      case 'rerun':
        if (!completedStatuses.has(conductor.state.status)) throw new Error('Only a completed workflow can be run again from its tasks.');
        rerunWorkflow(conductor, event.tasks, event.reset);
        step.advance();
        break;
    }
    conductor.renderOutput();
    return step.result();
  }
}

export const orquestaDriver = new OrquestaDriver();
