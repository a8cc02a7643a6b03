import { datastoreSnapshotFrom, isCompleted, PackrunError, renderValue, type ExecutionStatus } from '@packrun/core';
import { childExecutionId } from '../child-id.ts';
import type { ChildRequest, Json, StepEnvironment, StepResult, WorkflowDriver, WorkflowEvent, WorkflowStatus } from '../driver.ts';
import { clone } from '../clone-json.ts';
import { inspectChain, type ChainDefinition, type ChainNode } from './chain-definition.ts';

/** One entry of the chain's result `tasks`, as StackStorm's runner formats it (_format_action_exec_result). */
interface TaskEntry {
  id: string;
  name: string;
  execution_id: string | null;
  liveaction_id: string | null;
  workflow: null;
  created_at: string;
  updated_at: string;
  state: string;
  result: Json;
}

/**
 * A task that ended, as the state keeps it: the rest of its TaskEntry (its execution's id, twice,
 * its name, twice) follows from these, and the state is written whole at every step.
 */
interface EndedTask {
  name: string;
  requestId: string;
  createdAt: string;
  updatedAt: string;
  state: string;
  result: Json;
}

/** The chain's whole state, persisted by the engine after every step. */
interface ChainState {
  status: WorkflowStatus;
  workflowId: string;
  input: Record<string, Json>;
  /** `action_context.parent` of every task: the workflow execution's context and id. */
  parentContext: Record<string, Json>;
  displayPublished: boolean;
  /** The workflow pack's config: `config_context` of the task parameters (states written before have none). */
  config?: Record<string, Json>;
  vars: Record<string, Json>;
  published: Record<string, Json>;
  /**
   * Each finished task's result by task name, as states written before kept it beside `tasks`:
   * dropped when read (resultsOf gives the same from `tasks`), since writing every result twice
   * doubled what each step stores.
   */
  results?: Record<string, Json>;
  /**
   * The tasks that ended, in order; their results by name are resultsOf(state). States written
   * before kept each as the TaskEntry the result shows; an EndedTask holds only what differs.
   */
  tasks: Array<EndedTask | TaskEntry>;
  /** The task running now. */
  current?: { name: string; requestId: string; createdAt: string };
  /** The node to run when a paused chain resumes. */
  next?: string;
  /** StackStorm's chain_status: the outcome of the last task's branch. */
  outcome: 'succeeded' | 'failed';
  started: number;
  error?: { error: string; traceback: string };
}

const noEffects = { start: [], timers: [], cancel: [], pause: [], resume: [] };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function failedStatus(status: ExecutionStatus): boolean {
  return status === 'failed' || status === 'timeout' || status === 'abandoned';
}

/** `{{ st2kv.system.x }}` in the templates of `value`: the keys they read, looked up through the step's environment. */
function templateContext(value: unknown, env: StepEnvironment, context: Record<string, unknown>): Record<string, unknown> {
  const st2kv = datastoreSnapshotFrom(value, (name, options) => env.keyValue(name, options));
  return { ...context, st2kv };
}

function render(value: Record<string, Json>, env: StepEnvironment, context: Record<string, unknown>, what: string): Record<string, Json> {
  return renderValue(value, templateContext(value, env, context), { what }) as Record<string, Json>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * StackStorm's action-chain runner as a pure driver: run the `default` node, then follow
 * `on-success` or `on-failure` by each task's outcome, publish variables from results, and end
 * with `{tasks, published}`. Parameters are rendered here, once, over the chain's input, vars and
 * earlier results; what a result or an input holds is inserted, never rendered again.
 */
export const actionChainDriver: WorkflowDriver<ChainDefinition> = {
  runnerType: 'action-chain',
  inspect: inspectChain,
  step(definition, stored, event, env, options) {
    if (event.kind === 'start') return start(definition, event, env);
    if (stored === undefined || stored === null) {
      throw new PackrunError('WORKFLOW_STATE_MISSING', `chain ${definition.file} got "${event.kind}" before it started`, { userError: false });
    }
    const state = (options?.stateOwned ? stored : clone(stored)) as unknown as ChainState;
    delete state.results;
    switch (event.kind) {
      case 'child-ended':
        return childEnded(definition, state, event, env);
      case 'pause':
        if (state.status !== 'running') return unchanged(state);
        if (state.current) return result(state, 'pausing', { pause: [state.current.requestId] });
        return result(state, 'paused');
      case 'resume':
        if (state.status === 'pausing') return result(state, 'running', state.current ? { resume: [state.current.requestId] } : {});
        if (state.status !== 'paused') return unchanged(state);
        // Paused on a paused child workflow: it resumes, and the chain waits for it again.
        if (state.current) return result(state, 'running', { resume: [state.current.requestId] });
        state.status = 'running';
        if (state.next === undefined) return finish(state);
        return runNode(definition, state, state.next, env);
      case 'cancel':
        if (isFinal(state.status)) return unchanged(state);
        if (state.current) return result(state, 'canceling', { cancel: [state.current.requestId] });
        return finish(state, 'canceled');
      case 'timer-fired':
      case 'rerun':
        return unchanged(state);
    }
  },
};

function isFinal(status: WorkflowStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

function result(state: ChainState, status: WorkflowStatus, effects: Partial<Omit<StepResult, 'state' | 'status'>> = {}): StepResult {
  state.status = status;
  return { ...noEffects, ...effects, state: state as unknown as Json, status };
}

function unchanged(state: ChainState): StepResult {
  return result(state, state.status);
}

function start(definition: ChainDefinition, event: Extract<WorkflowEvent, { kind: 'start' }>, env: StepEnvironment): StepResult {
  const workflowId = String(event.context['execution_id'] ?? '');
  const runner = event.context['runner_parameters'];
  const displayPublished = !(typeof runner === 'object' && runner !== null && !Array.isArray(runner) && runner['display_published'] === false);
  const { runner_parameters: _runner, ...context } = event.context;
  const state: ChainState = {
    status: 'running',
    workflowId,
    input: event.input,
    parentContext: { ...context, execution_id: workflowId },
    displayPublished,
    config: event.config ?? {},
    vars: {},
    published: {},
    tasks: [],
    outcome: 'failed',
    started: 0,
  };
  try {
    // Vars see the chain's input and the datastore, as StackStorm's _get_rendered_vars.
    state.vars = render(definition.vars, env, { ...event.input }, `vars of ${definition.file}`);
  } catch (error) {
    if (isKeyValueNeeded(error)) throw error;
    state.error = { error: `Failed initializing \`\`vars\`\` in chain. ${message(error)}`, traceback: '' };
    return finish(state, 'failed');
  }
  if (definition.start === undefined) return finish(state, 'succeeded');
  return runNode(definition, state, definition.start, env);
}

/** The runtime asks for a datastore key by throwing; that must reach it, never become a task failure. */
function isKeyValueNeeded(error: unknown): boolean {
  return error instanceof Error && error.name === 'KeyValueNeeded';
}

function runNode(definition: ChainDefinition, state: ChainState, name: string, env: StepEnvironment): StepResult {
  const node = definition.nodes.find((candidate) => candidate.name === name);
  if (!node) {
    state.error = { error: `Failed to get next node "${name}". Unable to find node with name "${name}".`, traceback: '' };
    return finish(state, 'failed');
  }
  let parameters: Record<string, Json>;
  try {
    parameters = render(node.parameters, env, parameterContext(state), `parameters of task "${node.name}" in ${definition.file}`);
  } catch (error) {
    if (isKeyValueNeeded(error)) throw error;
    state.error = { error: `Failed to run task "${node.name}". Parameter rendering failed. ${message(error)}`, traceback: '' };
    return finish(state, 'failed');
  }
  state.started += 1;
  const requestId = `${node.name}:${state.started}`;
  state.current = { name: node.name, requestId, createdAt: iso(env.now) };
  const request: ChildRequest = {
    requestId,
    action: node.ref,
    parameters,
    context: { parent: state.parentContext, chain: chainContext(node) },
  };
  return result(state, 'running', { start: [request] });
}

/** What a task's parameter templates see (StackStorm's _resolve_params). */
function parameterContext(state: ChainState): Record<string, unknown> {
  const results = resultsOf(state);
  return {
    ...state.input,
    ...results,
    ...state.vars,
    __results: results,
    action_context: { parent: state.parentContext },
    // StackStorm's get_config(pack, user) of the workflow's pack: only task parameters see it.
    config_context: state.config ?? {},
  };
}

/** A task as the chain's result lists it. */
function taskEntry(state: ChainState, task: EndedTask | TaskEntry): TaskEntry {
  if (!('requestId' in task)) return task;
  const executionId = childExecutionId(state.workflowId, task.requestId);
  return {
    id: task.name,
    name: task.name,
    execution_id: executionId,
    liveaction_id: executionId,
    workflow: null,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    state: task.state,
    result: task.result,
  };
}

/** Each ended task's result by its name: a task run again (a loop in the chain) counts by its last run. */
function resultsOf(state: ChainState): Record<string, Json> {
  const results: Record<string, Json> = {};
  for (const task of state.tasks) Object.defineProperty(results, task.name, { value: task.result, enumerable: true, writable: true, configurable: true });
  return results;
}

/** `context.chain` of a child: the node's fields under StackStorm's attribute names. */
function chainContext(node: ChainNode): Record<string, Json> {
  return {
    name: node.name,
    ref: node.ref,
    params: (node.raw['params'] as Json) ?? null,
    parameters: (node.raw['parameters'] as Json) ?? null,
    on_success: node.onSuccess ?? null,
    on_failure: node.onFailure ?? null,
    publish: node.publish ?? null,
    notify: (node.raw['notify'] as Json) ?? null,
  };
}

function childEnded(definition: ChainDefinition, state: ChainState, event: Extract<WorkflowEvent, { kind: 'child-ended' }>, env: StepEnvironment): StepResult {
  const current = state.current;
  if (!current || current.requestId !== event.requestId) return unchanged(state);
  // A child workflow that paused, or an inquiry waiting for its response, pauses the chain on it
  // (StackStorm's runner does the same); the child's end takes the chain on, as a resume would.
  if ((event.status === 'paused' || event.status === 'pending') && (state.status === 'running' || state.status === 'pausing')) return result(state, 'paused');
  if (!isCompleted(event.status)) return unchanged(state);
  const node = definition.nodes.find((candidate) => candidate.name === current.name);
  delete state.current;
  const entry: EndedTask = { name: current.name, requestId: current.requestId, createdAt: current.createdAt, updatedAt: iso(env.now), state: event.status, result: event.result };
  let succeeded = event.status === 'succeeded';
  if (succeeded && node?.publish) {
    try {
      const results = { ...resultsOf(state), [current.name]: event.result };
      const context = { ...state.input, ...results, ...state.vars, __results: results };
      const published = render(node.publish, env, context, `publish of task "${current.name}" in ${definition.file}`);
      Object.assign(state.vars, published);
      if (state.displayPublished) Object.assign(state.published, published);
    } catch (error) {
      if (isKeyValueNeeded(error)) throw error;
      const failure = { error: `Failed running task "${current.name}". ${message(error)}`, traceback: '' };
      entry.state = 'failed';
      entry.result = failure;
      succeeded = false;
    }
  }
  state.tasks.push(entry);
  if (event.status === 'canceled') return finish(state, 'canceled');
  if (state.status === 'canceling') return finish(state, 'canceled');
  state.outcome = succeeded ? 'succeeded' : 'failed';
  const next = succeeded ? node?.onSuccess : failedStatus(event.status) || !succeeded ? node?.onFailure : undefined;
  if (state.status === 'pausing') {
    if (next !== undefined) state.next = next;
    else delete state.next;
    return result(state, 'paused');
  }
  if (next === undefined) return finish(state);
  return runNode(definition, state, next, env);
}

function finish(state: ChainState, status: 'succeeded' | 'failed' | 'canceled' = state.outcome): StepResult {
  const final: Record<string, Json> = { tasks: state.tasks.map((task) => taskEntry(state, task)) as unknown as Json };
  if (state.displayPublished) final['published'] = state.published;
  if (state.error) Object.assign(final, state.error);
  const outcome = state.error ? 'failed' : status;
  delete state.next;
  state.status = outcome;
  return { ...noEffects, state: state as unknown as Json, status: outcome, result: final };
}
