import { KeyValueNeeded, type Json } from '../driver.ts';
import { clone } from '../clone-json.ts';
import { entryKey, isDict, maxContextList, mergeInto, transitionId, truthy, type ConductorState, type ErrorEntry, type NextTask, type RetryState, type StagedTask, type TaskEntry, type TaskEvent, type Vars } from './state.ts';
import { ExpressionFailure, type Expressions } from './expressions.ts';
import type { EvaluationScope } from './functions.ts';
import type { Transition, WorkflowGraph } from './graph.ts';
import { engineCommands } from './spec.ts';
import { anyItemIn, countItemsIn, freshItems, incompleteStatuses, withItemStatus } from './item-statuses.ts';
import { abendedStatuses, activeStatuses, completedStatuses, runningStatuses, startingStatuses, unset, workflowStatusOnRequest, workflowStatusOnTask } from './statuses.ts';

/**
 * The conductor keeps an Orquesta workflow's state and moves it on task events, as orquesta's
 * WorkflowConductor does: contexts are stored once and referred to by index, each task run is an
 * entry of `sequence` keyed `task__r<route>`, tasks waiting to run are `staged`, and a task
 * reached from several places gets a route of its own. The data layout follows orquesta's, so
 * routes, transition ids and the workflow's output come out as StackStorm reports them.
 */

const stoppedStatuses: ReadonlySet<string> = new Set(['pending', 'paused']);
const canceledStatus: ReadonlySet<string> = new Set(['canceled']);

export class Conductor {
  constructor(
    readonly graph: WorkflowGraph,
    private readonly expressions: Expressions,
    readonly state: ConductorState,
    private readonly keyValue: EvaluationScope['keyValue'],
    /** A with-items list's `{status, result}` by item (null: not run), kept out of this state by the runtime. */
    private readonly itemEnds: (list: string, count: number) => Json[],
    /** The ids `task()` reports of a task entry's latest run: the workflow execution's and the task's child execution's (null unless the task runs one child: with-items and action-less tasks). */
    private readonly executionIds: (taskId: string, route: number, oneChild: boolean) => { workflow: string | null; task: string | null } = () => ({ workflow: null, task: null }),
  ) {}

  static initialState(): ConductorState {
    return { status: unset, contexts: [], routes: [], sequence: [], tasks: {}, staged: [], errors: [], output: null, reruns: [] };
  }

  // ---- expressions ---------------------------------------------------------------------------

  scope(vars: Vars, currentTask?: EvaluationScope['currentTask'], item?: { value: Json }): EvaluationScope {
    const scope: EvaluationScope = {
      vars,
      tasks: { status: (taskId, route) => this.taskStatus(taskId, route), record: (taskId, route) => this.taskRecord(taskId, route) },
      keyValue: this.keyValue,
    };
    if (currentTask !== undefined) scope.currentTask = currentTask;
    if (item !== undefined) scope.item = item;
    return scope;
  }

  evaluate(value: Json, scope: EvaluationScope): Json {
    return clone(this.expressions.evaluate(value, scope));
  }

  /** The entry for a task on a route, or on an earlier route this one was split from (orquesta's lookup). */
  private findEntry(taskId: string, route: number): TaskEntry | undefined {
    const index = this.state.tasks[entryKey(taskId, route)];
    if (index !== undefined) return this.state.sequence[index];
    if (route > 0 && route < this.state.routes.length) {
      const current = new Set(this.state.routes[route]);
      for (let previous = route - 1; previous >= 0; previous--) {
        if (this.state.routes[previous]!.every((step) => current.has(step))) return this.findEntry(taskId, previous);
      }
    }
    return undefined;
  }

  taskStatus(taskId: string, route: number): string {
    return this.findEntry(taskId, route)?.status ?? unset;
  }

  taskRecord(taskId: string, route: number): Json | undefined {
    const entry = this.findEntry(taskId, route);
    if (entry === undefined) return undefined;
    const hasItems = this.graph.task(taskId)?.with !== undefined;
    const ids = this.executionIds(entry.id, entry.route, !hasItems && this.graph.task(taskId)?.action !== undefined);
    return {
      // As st2's task(): its task execution's id is, here, the task's child execution's.
      task_execution_id: ids.task,
      workflow_execution_id: ids.workflow,
      task_name: entry.id,
      task_id: entry.id,
      route: entry.route,
      result: hasItems ? { items: this.itemsOf(entry) } : clone(entry.result ?? null),
      status: entry.status ?? unset,
      start_timestamp: entry.startedAt === undefined ? null : new Date(entry.startedAt).toISOString(),
      end_timestamp: entry.endedAt === undefined ? null : new Date(entry.endedAt).toISOString(),
    };
  }

  /** A with-items entry's items as StackStorm's task record holds them: `{status, result}` each. */
  private itemsOf(entry: TaskEntry): Json[] {
    if (entry.itemList !== undefined) return clone(this.itemEnds(entry.itemList.list, entry.itemList.count));
    return clone(entry.items ?? []);
  }

  // ---- errors --------------------------------------------------------------------------------

  logError(message: string, where: { taskId?: string; route?: number; transitionId?: string; result?: Json } = {}): void {
    const entry: ErrorEntry = { type: 'error', message };
    if (where.taskId !== undefined) entry.task_id = where.taskId;
    if (where.route !== undefined) entry.route = where.route;
    if (where.transitionId !== undefined) entry.task_transition_id = where.transitionId;
    if (where.result !== undefined && where.result !== null) entry.result = clone(where.result);
    const text = JSON.stringify(entry);
    if (this.state.errors.some((existing) => JSON.stringify(existing) === text)) return;
    this.state.errors.push(entry);
  }

  private failureMessage(error: unknown): string {
    // Not a failure of the workflow: the runtime loads the key and runs the step again.
    if (error instanceof KeyValueNeeded) throw error;
    if (error instanceof ExpressionFailure) return error.message;
    if (error instanceof Error) return `${error.name === 'Error' ? 'Exception' : error.name}: ${error.message}`;
    return String(error);
  }

  // ---- start ---------------------------------------------------------------------------------

  /** Renders input and vars and stages the start tasks; the workflow fails on a rendering error. */
  begin(input: Record<string, Json>, parentContext: Vars): void {
    const context = mergeInto({}, parentContext);
    for (const declared of this.graph.spec.input) {
      try {
        // A value the caller gave is data; only the definition's own default is evaluated.
        const value = Object.hasOwn(input, declared.name) ? clone(input[declared.name]!) : this.evaluate(declared.default, this.scope(context));
        Object.defineProperty(context, declared.name, { value, enumerable: true, writable: true, configurable: true });
      } catch (error) {
        this.logError(this.failureMessage(error));
      }
    }
    for (const [name, value] of this.graph.spec.vars) {
      try {
        Object.defineProperty(context, name, { value: this.evaluate(value, this.scope(context)), enumerable: true, writable: true, configurable: true });
      } catch (error) {
        this.logError(this.failureMessage(error));
      }
    }
    if (this.state.errors.length > 0) {
      this.state.status = 'failed';
      return;
    }
    this.state.contexts.push(context);
    this.state.routes.push([]);
    for (const root of this.graph.roots) this.addStaged(root, 0, [0], {}, true);
    this.state.status = 'running';
  }

  // ---- queries -------------------------------------------------------------------------------

  entry(taskId: string, route: number): TaskEntry | undefined {
    const index = this.state.tasks[entryKey(taskId, route)];
    return index === undefined ? undefined : this.state.sequence[index];
  }

  private lastEntries(): TaskEntry[] {
    return Object.values(this.state.tasks).map((index) => this.state.sequence[index]!);
  }

  hasActiveTasks(): boolean {
    return this.lastEntries().some((entry) => entry.status !== undefined && activeStatuses.has(entry.status));
  }

  private hasTasksIn(statuses: string[]): boolean {
    return this.lastEntries().some((entry) => entry.status !== undefined && statuses.includes(entry.status));
  }

  readyStaged(): StagedTask[] {
    return this.state.staged.filter((staged) => staged.ready && staged.completed !== true);
  }

  staged(taskId: string, route: number): StagedTask | undefined {
    return this.state.staged.find((staged) => staged.id === taskId && staged.route === route);
  }

  addStaged(taskId: string, route: number, ctxs: number[], prev: Record<string, number>, ready: boolean, retry?: RetryState): StagedTask {
    // Copies, never shared with a task entry: the state is persisted as JSON, which shares nothing.
    const entry: StagedTask = { id: taskId, ctxs: { in: ctxs.length > 0 ? [...ctxs] : [0] }, route, prev: { ...prev }, ready };
    if (retry !== undefined) entry.retry = { ...retry };
    this.state.staged.push(entry);
    return entry;
  }

  private removeStaged(taskId: string, route: number): void {
    const staged = this.staged(taskId, route);
    if (staged === undefined) return;
    if (anyItemIn(staged.items ?? '', activeStatuses)) return;
    this.state.staged.splice(this.state.staged.indexOf(staged), 1);
  }

  context(indexes: number[]): Vars {
    const merged: Vars = {};
    for (const index of indexes) mergeInto(merged, this.state.contexts[index] ?? {});
    return merged;
  }

  private initialContext(taskId: string, route: number): Vars {
    const staged = this.staged(taskId, route);
    if (staged !== undefined) return this.context(staged.ctxs.in);
    const entry = this.entry(taskId, route);
    if (entry !== undefined) return this.context(entry.ctxs.in);
    return this.context([0]);
  }

  inboundStatus(taskId: string, route: number): 'satisfied' | 'wip' | 'unsatisfied' {
    const inbound = this.graph.previous(taskId);
    const evaluation = new Map<string, boolean | undefined>();
    for (const transition of inbound) evaluation.set(transition.from, undefined);
    const barrier = this.graph.barrier(taskId) ?? 1;
    const requirement = barrier === '*' ? evaluation.size : barrier;
    for (const transition of inbound) {
      const previous = this.entry(transition.from, route);
      if (previous === undefined) continue;
      const satisfied = previous.next[transitionId(transition.to, transition.key)] === true;
      if (evaluation.get(transition.from) !== true) evaluation.set(transition.from, satisfied);
    }
    const values = [...evaluation.values()];
    if (values.filter((value) => value === true).length >= requirement) return 'satisfied';
    if (values.includes(undefined) && (this.hasActiveTasks() || this.readyStaged().length > 0)) return 'wip';
    return 'unsatisfied';
  }

  private hasNext(taskId: string, route: number, evaluateJoins: boolean): boolean {
    const entry = this.entry(taskId, route);
    if (entry === undefined || entry.status === undefined || !completedStatuses.has(entry.status)) return false;
    for (const transition of this.graph.next(taskId)) {
      if (transition.to === 'continue') continue;
      if (entry.next[transitionId(transition.to, transition.key)] !== true) continue;
      if (this.graph.barrier(transition.to) !== undefined) {
        if (!evaluateJoins) return true;
        if (this.inboundStatus(transition.to, route) === 'unsatisfied') continue;
      }
      return true;
    }
    return false;
  }

  // ---- next tasks ----------------------------------------------------------------------------

  /** The staged tasks to run now, rendered; a rendering error fails the workflow. */
  nextTasks(): NextTask[] {
    const staged = this.readyStaged();
    const remediation = this.state.status === 'failed' ? staged.filter((entry) => entry.run_on_fail === true) : [];
    if (!runningStatuses.has(this.state.status) && remediation.length === 0) return [];
    const next: NextTask[] = [];
    let failed = false;
    for (const entry of remediation.length > 0 ? remediation : staged) {
      try {
        const task = this.renderTask(entry);
        if (entry.retry !== undefined) task.delay = entry.retry.delay;
        if (task.actions.length > 0 || task.itemsCount === 0) next.push(task);
      } catch (error) {
        failed = true;
        this.logError(this.failureMessage(error), { taskId: entry.id, route: entry.route });
      }
    }
    if (failed) {
      this.requestStatus('failed');
      return [];
    }
    return next.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.route - b.route));
  }

  private renderTask(staged: StagedTask): NextTask {
    const { id: taskId, route } = staged;
    const spec = this.graph.task(taskId) ?? { name: taskId, action: undefined, input: undefined, next: [], join: undefined, with: undefined, retry: undefined, delay: undefined, line: undefined };
    if (spec.with !== undefined && !this.mayStartItems(staged)) {
      // Nothing to start: the items are not rendered again (a step then costs the same for ten items or a thousand).
      return { id: taskId, route, spec, vars: {}, actions: [], itemsCount: staged.items!.length };
    }
    const vars = this.initialContext(taskId, route);
    const current = { id: taskId, route, hasResult: false };
    const scope = this.scope(vars, current);
    const task: NextTask = { id: taskId, route, spec, vars, actions: [] };
    if (spec.delay !== undefined) {
      const delay = typeof spec.delay === 'string' ? this.evaluate(spec.delay, scope) : spec.delay;
      if (!Number.isInteger(delay)) throw new TypeError('The value of task delay is not type of integer.');
      task.delay = delay as number;
    }
    if (spec.with === undefined) {
      const action = spec.action === undefined ? null : this.evaluate(spec.action, scope);
      const input = spec.input === undefined ? {} : this.evaluate(spec.input, scope);
      task.actions.push({ action: action === null ? null : String(action), input });
      return task;
    }
    const items = this.evaluate(spec.with.expression, scope);
    if (!Array.isArray(items)) throw new TypeError(`The value of "${spec.with.expression}" is not type of list.`);
    task.itemsCount = items.length;
    const concurrency = spec.with.concurrency === undefined ? null : this.evaluate(spec.with.concurrency, scope);
    if (concurrency !== null && !Number.isInteger(concurrency)) throw new TypeError('The value of concurrency is not type of integer.');
    task.concurrency = concurrency === null ? null : Math.max(1, concurrency as number);
    staged.concurrency = task.concurrency;
    const keys = spec.with.keys;
    // Only the items that start now are rendered: a long list costs one render per item in all.
    for (const index of this.itemsToStart(staged, items.length, task.concurrency)) {
      const raw = items[index]!;
      let value: Json = raw;
      if (keys !== undefined && Array.isArray(raw)) value = Object.fromEntries(keys.map((key, position) => [key, raw[position] ?? null]));
      else if (keys !== undefined && keys.length === 1) value = { [keys[0]!]: raw };
      const itemScope = this.scope(vars, current, { value });
      task.actions.push({ action: String(this.evaluate(spec.action ?? null, itemScope)), input: spec.input === undefined ? {} : this.evaluate(spec.input, itemScope), itemId: index });
    }
    return task;
  }

  /** With-items already rendered once: whether an item is still to run and the concurrency it was rendered with leaves room for it. */
  private mayStartItems(staged: StagedTask): boolean {
    const items = staged.items;
    if (items === undefined || items.length === 0 || staged.concurrency === undefined) return true;
    if (!items.includes(freshItems(1))) return false;
    return staged.concurrency === null || countItemsIn(items, activeStatuses) < staged.concurrency;
  }

  /** With-items: the items not run yet, as many as the concurrency leaves room for (all without one). */
  private itemsToStart(staged: StagedTask, count: number, concurrency: number | null): number[] {
    if (staged.items === undefined || staged.items.length === 0) staged.items = freshItems(count);
    const items = staged.items;
    let room = concurrency === null ? count : concurrency - countItemsIn(items, activeStatuses);
    const start: number[] = [];
    const notRun = freshItems(1);
    for (let index = items.indexOf(notRun); index !== -1 && room > 0; index = items.indexOf(notRun, index + 1)) {
      start.push(index);
      room -= 1;
    }
    return start;
  }

  // ---- task events ---------------------------------------------------------------------------

  addEntry(taskId: string, route: number, ctxs: number[], prev: Record<string, number>): TaskEntry {
    const entry: TaskEntry = { id: taskId, route, ctxs: { in: ctxs.length > 0 ? [...ctxs] : [0] }, prev: { ...prev }, next: {} };
    const retry = this.graph.retries.get(taskId);
    if (retry !== undefined) {
      const vars = this.context(entry.ctxs.in);
      const delay = typeof retry.delay === 'string' ? this.evaluate(retry.delay, this.scope(vars)) : (retry.delay ?? 0);
      if (!Number.isInteger(delay)) throw new Error(`The retry delay for task "${taskId}" is not an integer.`);
      const count = typeof retry.count === 'string' ? this.evaluate(retry.count, this.scope(vars)) : retry.count;
      if (!Number.isInteger(count)) throw new Error(`The retry count for task "${taskId}" is not an integer.`);
      entry.retry = { when: retry.when ?? null, count: count as number, delay: delay as number, tally: 0 };
    }
    this.state.sequence.push(entry);
    this.state.tasks[entryKey(taskId, route)] = this.state.sequence.length - 1;
    return entry;
  }

  /** Orquesta's update_task_state: records the event, evaluates retries and transitions, moves the workflow. */
  updateTask(taskId: string, route: number, event: TaskEvent, now?: number): TaskEntry {
    const staged = this.staged(taskId, route);
    let entry = this.entry(taskId, route);
    const spec = this.graph.task(taskId);
    const hasItems = spec?.with !== undefined;
    if (staged === undefined && entry === undefined) throw new Error(`The task "${taskId}" on route ${route} is neither staged nor recorded.`);
    if (entry === undefined || engineCommands.has(taskId)) entry = this.addEntry(taskId, staged!.route, staged!.ctxs.in, staged!.prev);
    if (entry.status !== undefined && completedStatuses.has(entry.status) && startingStatuses.has(event.status) && staged !== undefined) {
      // The task ran before and runs again: a loop in the graph makes a new entry.
      entry = this.addEntry(taskId, staged.route, staged.ctxs.in, staged.prev);
    }
    const entryIndex = this.state.tasks[entryKey(taskId, route)]!;
    if (staged !== undefined && staged.items === undefined) this.removeStaged(taskId, route);
    if (staged?.items !== undefined && event.itemId !== undefined) staged.items = withItemStatus(staged.items, event.itemId, event.status);
    if (event.status === 'failed') this.logError('Execution failed. See result for details.', { taskId, result: event.result ?? null });

    const oldStatus = entry.status ?? unset;
    const newStatus = hasItems && event.itemId !== undefined ? this.itemTaskStatus(oldStatus, taskId, route, event) : event.status;
    entry.status = newStatus;
    if (startingStatuses.has(newStatus) && entry.startedAt === undefined && now !== undefined) entry.startedAt = now;

    if (newStatus === 'retrying') {
      entry.retry!.tally += 1;
      this.removeStaged(taskId, route);
      this.addStaged(taskId, route, entry.ctxs.in, entry.prev, true, entry.retry);
    }

    let result: Json = null;
    let vars: Vars = {};
    if (completedStatuses.has(newStatus)) {
      if (!(hasItems && abendedStatuses.has(newStatus))) this.removeStaged(taskId, route);
      else {
        const again = this.staged(taskId, route);
        if (again !== undefined) again.completed = true;
      }
      if (hasItems && event.itemList !== undefined) {
        // Read once, when the task completes: the items stay in their list, out of this state.
        entry.itemList = { list: event.itemList, count: staged?.items?.length ?? 0 };
        delete entry.items;
        delete entry.result;
        result = this.itemsOf(entry).map((end) => (isDict(end) ? (end['result'] ?? null) : null));
      } else {
        result = hasItems ? (event.accumulated ?? event.result ?? []) : (event.result ?? null);
        entry.result = clone(result);
      }
      if (now !== undefined) entry.endedAt = now;
      vars = this.context(entry.ctxs.in);
      if (activeStatuses.has(this.state.status) && this.shouldRetry(entry, vars, result)) {
        return this.updateTask(taskId, route, { status: 'retrying' }, now);
      }
    }

    const commands: [string, number][] = [];
    if (completedStatuses.has(newStatus) && newStatus !== oldStatus) {
      this.followTransitions(entry, entryIndex, vars, result, commands);
    }

    this.moveWorkflowOnTask(taskId, route, newStatus);
    for (const [command, commandRoute] of commands) {
      this.updateTask(command, commandRoute, { status: command === 'fail' ? 'failed' : 'succeeded' }, now);
    }
    if (completedStatuses.has(this.state.status)) entry.term = true;
    return entry;
  }

  private shouldRetry(entry: TaskEntry, vars: Vars, result: Json): boolean {
    const retry = entry.retry;
    if (retry === undefined || retry.tally >= retry.count) return false;
    if (abendedStatuses.has(entry.status!) && retry.when === null) return true;
    if (retry.when === null) return false;
    const scope = this.scope(vars, { id: entry.id, route: entry.route, result, hasResult: true });
    return truthy(this.evaluate(retry.when, scope));
  }

  private followTransitions(entry: TaskEntry, entryIndex: number, vars: Vars, result: Json, commands: [string, number][]): void {
    const { id: taskId, route } = entry;
    const transitions = this.graph.next(taskId);
    if (transitions.length === 0) entry.term = true;
    const scope = this.scope(vars, { id: taskId, route, result, hasResult: true });
    let manualFail = false;
    const readyNext: StagedTask[] = [];
    for (const transition of transitions) {
      const id = transitionId(transition.to, transition.key);
      try {
        entry.next[id] = transition.criteria.every((criterion) => truthy(this.evaluate(criterion, scope)));
      } catch (error) {
        this.logError(this.failureMessage(error), { taskId, route, transitionId: id });
        this.requestStatus('failed');
        continue;
      }
      if (!entry.next[id]) continue;
      const published = this.publish(transition, scope);
      if (published.errors.length > 0) {
        for (const error of published.errors) this.logError(this.failureMessage(error), { taskId, route, transitionId: id });
        this.requestStatus('failed');
        continue;
      }
      let outgoing = [...entry.ctxs.in];
      if (Object.keys(published.vars).length > 0) {
        this.state.contexts.push(published.vars);
        const index = this.state.contexts.length - 1;
        outgoing.push(index);
        entry.ctxs.out = { [id]: index };
      }
      outgoing = this.collapse(outgoing);
      const nextRoute = this.routeFor(transition, route);
      let next = this.staged(transition.to, nextRoute);
      const backref = transitionId(taskId, transition.key);
      if (next !== undefined) {
        const root = outgoing.indexOf(0);
        if (root !== -1) outgoing.splice(root, 1);
        next.ctxs.in.push(...outgoing);
        next.prev[backref] = entryIndex;
        delete next.items;
        delete next.concurrency;
        delete next.completed;
      } else {
        next = this.addStaged(transition.to, nextRoute, outgoing, { [backref]: entryIndex }, false);
      }
      next.ready = this.inboundStatus(transition.to, route) === 'satisfied';
      if (engineCommands.has(transition.to)) {
        commands.push([next.id, next.route]);
        manualFail ||= transition.to === 'fail';
      } else if (next.ready) {
        readyNext.push(next);
      }
    }
    // A remediation task named beside `fail` still runs although the workflow is failed.
    if (manualFail) for (const next of readyNext) next.run_on_fail = true;
  }

  /**
   * Orquesta lists every context a task inherits, so down a long chain each task's list grows
   * with the chain and so does the state. Past a few entries, the ones after the workflow's own
   * context are merged into one new context: the task sees the same values, and its state entry
   * stays small.
   */
  private collapse(indexes: number[]): number[] {
    if (indexes.length <= maxContextList) return indexes;
    const rest = indexes[0] === 0 ? indexes.slice(1) : indexes;
    this.state.contexts.push(this.context(rest));
    return indexes[0] === 0 ? [0, this.state.contexts.length - 1] : [this.state.contexts.length - 1];
  }

  private publish(transition: Transition, scope: EvaluationScope): { vars: Vars; errors: unknown[] } {
    const spec = this.graph.task(transition.from)?.next[transition.ref];
    const vars: Vars = {};
    const errors: unknown[] = [];
    if (spec === undefined || !spec.do.includes(transition.to)) return { vars, errors };
    const rolling: Vars = { ...scope.vars };
    for (const [name, value] of spec.publish) {
      try {
        const rendered = this.evaluate(value, { ...scope, vars: rolling });
        Object.defineProperty(rolling, name, { value: rendered, enumerable: true, writable: true, configurable: true });
        Object.defineProperty(vars, name, { value: rendered, enumerable: true, writable: true, configurable: true });
      } catch (error) {
        errors.push(error);
      }
    }
    return { vars, errors };
  }

  private routeFor(transition: Transition, previousRoute: number): number {
    if (!this.graph.isSplit(transition.to) || this.graph.inCycle(transition.to)) return previousRoute;
    const old = this.state.routes[previousRoute]!;
    const step = transitionId(transition.from, transition.key);
    if (old.includes(step)) return previousRoute;
    this.state.routes.push([...old, step]);
    return this.state.routes.length - 1;
  }

  /** A with-items task's status from one item's event and the other items' statuses. */
  private itemTaskStatus(current: string, taskId: string, route: number, event: TaskEvent): string {
    const staged = this.staged(taskId, route);
    const items = staged?.items ?? '';
    if (!['resuming', 'pending', 'paused', 'succeeded', 'failed', 'timeout', 'abandoned', 'canceled'].includes(event.status)) {
      if (event.status === 'running' && ['null', 'running', 'retrying'].includes(current)) return 'running';
      return current === unset ? event.status : current;
    }
    const others = (statuses: ReadonlySet<string>): boolean => anyItemIn(items, statuses, event.itemId);
    const active = others(activeStatuses);
    const incomplete = others(incompleteStatuses);
    const paused = others(stoppedStatuses);
    const canceled = others(canceledStatus);
    const failed = others(abendedStatuses);
    const status = event.status;
    if (current === 'canceling') {
      if (active) return 'canceling';
      return status === 'succeeded' && !incomplete && !failed && !canceled ? 'succeeded' : 'canceled';
    }
    if (current === 'pausing') {
      if (active) return 'pausing';
      if (abendedStatuses.has(status) || failed) return 'failed';
      return incomplete ? 'paused' : status === 'succeeded' ? 'succeeded' : 'paused';
    }
    if (active) {
      if (status === 'pending' || status === 'paused') return 'pausing';
      if (status === 'canceled') return 'canceling';
      return current === unset ? 'running' : current;
    }
    if (paused) return status === 'canceled' ? 'canceled' : abendedStatuses.has(status) ? 'failed' : 'paused';
    if (canceled) return 'canceled';
    if (status === 'canceled') return 'canceled';
    if (failed || abendedStatuses.has(status)) return 'failed';
    if (status === 'pending' || status === 'paused') return 'paused';
    return incomplete ? 'running' : 'succeeded';
  }

  private moveWorkflowOnTask(taskId: string, route: number, status: string): void {
    const hasNext = this.hasNext(taskId, route, true);
    const hasBarrierNext = this.hasNext(taskId, route, false);
    let flag: 'canceled' | 'paused' | 'incomplete' | 'completed' = 'completed';
    if (this.hasTasksIn(['canceling', 'canceled'])) flag = 'canceled';
    else if (this.hasTasksIn(['pausing', 'paused', 'pending'])) flag = 'paused';
    else if (this.readyStaged().length > 0 || hasNext) flag = 'incomplete';
    const facts = { status, remediated: abendedStatuses.has(status) && (hasNext || hasBarrierNext), anyActive: this.hasActiveTasks(), flag };
    this.state.status = workflowStatusOnTask(this.state.status, facts);
    if (completedStatuses.has(this.state.status)) this.failOnUnreachableJoins();
  }

  /** A join still waiting when the workflow completes can never run: that fails the workflow. */
  private failOnUnreachableJoins(): void {
    const barriers = new Set(this.graph.barriers());
    for (const staged of this.state.staged) {
      if (!barriers.has(staged.id) || staged.ready) continue;
      if (this.inboundStatus(staged.id, staged.route) !== 'unsatisfied') continue;
      this.state.status = 'failed';
      this.logError(`UnreachableJoinError: The join task|route "${staged.id}|${staged.route}" is partially satisfied but unreachable.`, { taskId: staged.id, route: staged.route });
    }
  }

  // ---- workflow requests ---------------------------------------------------------------------

  /** Pause, resume, cancel or fail the workflow, passing the request on to with-items tasks first. */
  requestStatus(request: 'pausing' | 'resuming' | 'canceling' | 'failed' | 'running'): boolean {
    for (const entry of this.lastEntries()) {
      if (entry.status === undefined || this.graph.task(entry.id)?.with === undefined) continue;
      const staged = this.staged(entry.id, entry.route);
      if (staged?.items === undefined) continue;
      const active = anyItemIn(staged.items, activeStatuses);
      const incomplete = anyItemIn(staged.items, incompleteStatuses);
      if (!incomplete) continue;
      if (request === 'pausing' && ['running', 'resuming'].includes(entry.status)) entry.status = active ? 'pausing' : 'paused';
      else if (request === 'canceling' && ['running', 'resuming', 'pausing', 'paused'].includes(entry.status)) entry.status = active ? 'canceling' : 'canceled';
      else if (request === 'resuming' && ['paused', 'pausing'].includes(entry.status)) entry.status = 'running';
    }
    const finished = !this.hasActiveTasks() && this.readyStaged().length === 0 && !this.hasTasksIn(['paused', 'pending']);
    const next = workflowStatusOnRequest(this.state.status, request, { anyActive: this.hasActiveTasks(), finished });
    if (next === undefined) return false;
    this.state.status = next;
    return true;
  }

  // ---- output --------------------------------------------------------------------------------

  /** The context the workflow ended with: the terminal tasks' contexts merged. */
  private terminalContext(): Vars {
    const terminal = this.state.sequence.filter((entry) => entry.term === true);
    if (terminal.length === 0) return {};
    const [first, ...others] = terminal;
    const context = this.context(first!.ctxs.in);
    for (const entry of others) {
      const indexes = [...entry.ctxs.in];
      const root = indexes.indexOf(0);
      if (root !== -1) indexes.splice(root, 1);
      mergeInto(context, this.context(indexes));
    }
    return context;
  }

  /** Renders `output` once the workflow is completed; an error fails it (unless it was canceled). */
  renderOutput(): void {
    if (!completedStatuses.has(this.state.status) || this.state.output !== null) return;
    // Input or vars failed to render: the workflow never started, and st2 renders no output.
    if (this.state.contexts.length === 0) return;
    const rolling = this.terminalContext();
    const output: Vars = {};
    let failed = false;
    for (const [name, value] of this.graph.spec.output) {
      try {
        const rendered = this.evaluate(value, this.scope(rolling));
        Object.defineProperty(rolling, name, { value: rendered, enumerable: true, writable: true, configurable: true });
        Object.defineProperty(output, name, { value: clone(rendered), enumerable: true, writable: true, configurable: true });
      } catch (error) {
        failed = true;
        this.logError(this.failureMessage(error));
      }
    }
    if (Object.keys(output).length > 0) this.state.output = output;
    if (failed && !['canceled', 'abandoned', 'timeout'].includes(this.state.status)) this.state.status = 'failed';
  }
}
