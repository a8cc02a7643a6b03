import {
  completedStatuses,
  isCompleted,
  isPackrunError,
  isWorkflowRunner,
  PackrunError,
  newId,
  nowIso,
  prepareResult,
  readExecutionResult,
  toFailure,
  type DataPaths,
  type ExecutionRecord,
  type ExecutionStatus,
  type Failure,
  type KeyValues,
  type WorkflowNotify,
  type WorkflowOutbox,
  type WorkflowRecord,
} from '@packrun/core';
import { publishExecutionUpdate } from '@packrun/action-runner';
import { childExecutionId } from '../child-id.ts';
import { workflowDriver } from '../drivers.ts';
import type { ItemEnd, ItemRecord, Json, StepResult, WorkflowDriver, WorkflowEvent, WorkflowStatus } from '../driver.ts';
import { carryOutOutbox, type ChildEffectsOptions } from './child-effects.ts';
import { runStep } from './step-environment.ts';
import { decryptRightsOf, loadWorkflowInput, workflowKeyValues } from './workflow-input.ts';

export interface WorkflowStepsOptions extends ChildEffectsOptions {
  engineId: string;
  paths: DataPaths;
  keyValues: KeyValues;
  openSecrets: (sealed: string, executionId: string) => Record<string, unknown>;
  resultInlineBytes: number;
  now?: () => number;
}

const finalStatuses = new Set<WorkflowStatus>(['succeeded', 'failed', 'canceled']);
const openWorkflowStatuses: ExecutionStatus[] = ['running', 'pausing', 'paused', 'resuming', 'canceling'];

/** The inspected definitions of the workflows this process steps, by workflow id (the most recent few). */
const definitions = new Map<string, { version: string; definition: unknown }>();
const maxCachedDefinitions = 1000;

/**
 * Advances one workflow execution as far as the store says it can go: start it, carry out an
 * outbox left by a step, feed the driver every event that is waiting (pause, resume and cancel
 * requests first, then children that ended, then timers due), and write the final status and
 * result. Each step is one compare-and-set on the workflow's version with the effects it
 * decided (the outbox); a step that loses the race to another engine is simply read again.
 */
export async function advanceWorkflow(options: WorkflowStepsOptions, id: string): Promise<void> {
  const now = options.now ?? Date.now;
  // The record as this process last wrote it: a compare-and-set that succeeded returns what the
  // store holds, so reading it again would only cost a parse of the workflow's whole state. A
  // request that changes it meanwhile (pause, cancel) wakes this workflow again once this ends.
  let written: WorkflowRecord | undefined;
  for (let round = 0; round < 10_000; round += 1) {
    const workflow = await options.store.executions.get(id);
    // A wake-up for an execution no workflow runner runs is not the engine's: the parent of the
    // API's built-in pack operations, whose stages are child executions, is woken when one ends.
    if (!workflow || (workflow.runnerType !== undefined && !isWorkflowRunner(workflow.runnerType))) return;
    const record = written ?? (await options.store.workflows.get(id));
    written = undefined;
    if (!record) {
      if (isCompleted(workflow.status)) return;
      const begun = await beginWorkflow(options, workflow);
      if (!begun) return;
      continue;
    }
    if (record.outbox && !carriedOut(record)) {
      await carryOutOutbox(options, record, workflow, record.outbox);
      if (onlyStarts(record.outbox)) {
        // Left in the record for the next step's write to replace: carrying it out again starts
        // nothing (each child's id comes from its request), and clearing it here would cost a
        // second write of the whole state on every step.
        rememberCarriedOut(record);
        written = record;
      } else {
        // Cancel, pause and resume go once: carried out again later they could undo a later request.
        await options.store.workflows.update({ id, 'outbox.id': record.outbox.id }, { unset: ['outbox'] });
      }
      continue;
    }
    if (record.phase === 'closed') return;
    if (finalStatuses.has(record.status as WorkflowStatus)) {
      await closeWorkflow(options, record, workflow);
      return;
    }
    const next = await nextEvent(options, record, now());
    if (!next) {
      await mirrorStatus(options, record, workflow);
      return;
    }
    written = await applyEvent(options, record, workflow, next, now());
  }
}

/** Outboxes of start requests this process carried out and left in their records, by workflow id. */
const carriedOutboxes = new Map<string, string>();

function carriedOut(record: WorkflowRecord): boolean {
  return record.outbox !== undefined && carriedOutboxes.get(record.id) === record.outbox.id;
}

function rememberCarriedOut(record: WorkflowRecord): void {
  if (!record.outbox) return;
  carriedOutboxes.delete(record.id);
  if (carriedOutboxes.size >= maxCachedDefinitions) carriedOutboxes.delete(carriedOutboxes.keys().next().value as string);
  carriedOutboxes.set(record.id, record.outbox.id);
}

function onlyStarts(outbox: WorkflowOutbox): boolean {
  return outbox.cancel.length + outbox.pause.length + outbox.resume.length === 0;
}

type PendingEvent = { event: WorkflowEvent; consumed: Partial<WorkflowRecord> };

async function nextEvent(options: WorkflowStepsOptions, record: WorkflowRecord, at: number): Promise<PendingEvent | undefined> {
  const control = record.control[record.controlSeen];
  if (control) {
    const consumed: Partial<WorkflowRecord> = { controlSeen: record.controlSeen + 1 };
    // A resumed workflow hears again of the children still stopped, and pauses on them again.
    if (control.kind === 'resume' && record.waiting.some((link) => link.stopHeard !== undefined)) {
      consumed.waiting = record.waiting.map(({ stopHeard: _heard, ...link }) => link);
    }
    return { event: { kind: control.kind }, consumed };
  }
  if (record.waiting.length > 0) {
    const ended = await options.store.executions.find(
      { id: { $in: record.waiting.map((link) => link.execution) }, status: { $in: [...completedStatuses] } },
      { sort: { endedAt: 1, id: 1 }, limit: 1 },
    );
    const child = ended[0];
    const link = child && record.waiting.find((candidate) => candidate.execution === child.id);
    if (child && link) {
      const result = (await readExecutionResult(options.store.executionBlobs, child)) ?? null;
      return {
        event: { kind: 'child-ended', requestId: link.requestId, status: child.status, result: result as Json },
        consumed: { waiting: record.waiting.filter((waiting) => waiting !== link) },
      };
    }
  }
  if ((record.status === 'running' || record.status === 'pausing') && record.waiting.length > 0) {
    // A child workflow that paused, or an inquiry waiting for its response: the driver hears of it
    // once per stop (the child stays waited for) and pauses on it; it hears again when the child ends.
    const stopped = await options.store.executions.find({ id: { $in: record.waiting.map((link) => link.execution) }, status: { $in: ['paused', 'pending'] } }, { sort: { id: 1 } });
    for (const child of stopped) {
      const link = record.waiting.find((candidate) => candidate.execution === child.id);
      if (!link || link.stopHeard === child.log.length) continue;
      return {
        event: { kind: 'child-ended', requestId: link.requestId, status: child.status, result: null },
        consumed: { waiting: record.waiting.map((candidate) => (candidate === link ? { ...link, stopHeard: child.log.length } : candidate)) },
      };
    }
  }
  const due = record.timers.find((timer) => timer.fireAt <= at);
  if (due) {
    return { event: { kind: 'timer-fired', timerId: due.timerId }, consumed: { timers: record.timers.filter((timer) => timer !== due) } };
  }
  return undefined;
}

function definitionOf(record: WorkflowRecord, driver: WorkflowDriver): unknown {
  const key = `${record.createdAt}\0${record.source.file}`;
  const cached = definitions.get(record.id);
  if (cached?.version === key) return cached.definition;
  const definition = driver.inspect(record.source);
  // Another engine may close a workflow this one stepped: the oldest entries go, not only closed ones.
  if (definitions.size >= maxCachedDefinitions) definitions.delete(definitions.keys().next().value as string);
  definitions.set(record.id, { version: key, definition });
  return definition;
}

/** Claims a requested workflow execution for this engine, resolves its input and runs the driver's first step. */
async function beginWorkflow(options: WorkflowStepsOptions, workflow: ExecutionRecord): Promise<boolean> {
  const { store } = options;
  let current = workflow;
  if (workflow.status === 'requested' || workflow.status === 'scheduled') {
    const at = nowIso();
    const claimed = await store.executions.updateOne(
      { id: workflow.id, status: { $in: ['requested', 'scheduled'] } },
      { set: { status: 'running', runnerId: options.engineId, startedAt: at }, push: { log: { status: 'running', at, by: options.engineId } } },
    );
    if (!claimed) return true; // canceled meanwhile, or another engine took it: read again
    publishExecutionUpdate(options.bus, options.logger, claimed);
    current = claimed;
  }
  const at = options.now?.() ?? Date.now();
  let record: WorkflowRecord;
  try {
    const driver = workflowDriver(current.runnerType ?? '', current.action);
    const rerun = current.rerunOf !== undefined && current.rerunTasks !== undefined ? await rerunSource(options, current) : undefined;
    const secrets = current.secretParameters === undefined ? {} : options.openSecrets(current.secretParameters, current.id);
    const loaded = await loadWorkflowInput({ paths: options.paths, keyValues: options.keyValues, execution: current, secrets });
    if (rerun) loaded.source = rerun.source;
    const user = current.user ?? 'anonymous';
    const base: WorkflowRecord = {
      id: current.id,
      action: current.action,
      runnerType: driver.runnerType,
      source: loaded.source,
      user,
      version: 0,
      status: 'running',
      waiting: [],
      timers: [],
      control: [],
      controlSeen: 0,
      phase: 'open',
      createdAt: nowIso(),
      updatedAt: nowIso(),
    };
    const notify = await workflowNotify(options, current, driver.runnerType, loaded.runnerParameters);
    if (notify) base.notify = notify;
    const context: Record<string, Json> = { ...(current.context as Record<string, Json>), execution_id: current.id, user, runner_parameters: loaded.runnerParameters };
    const definition = definitionOf(base, driver);
    if (rerun) await copyItems(options, current.rerunOf!, current.id);
    const step = await runStep({
      driver,
      definition,
      stateText: rerun?.state,
      event: rerun ? { kind: 'rerun', tasks: current.rerunTasks ?? [], ...(current.rerunReset === undefined ? {} : { reset: current.rerunReset }) } : { kind: 'start', input: loaded.input, context, config: loaded.config },
      now: at,
      kv: workflowKeyValues(options.keyValues, current.user, loaded.source.pack),
      mayDecrypt: decryptRightsOf(current),
      workflow: current.id,
      items: (list) => loadItems(options, current.id, list),
    });
    await writeItems(options, current.id, step.items);
    record = { ...base, ...stepFields(base, step, {}) };
  } catch (error) {
    if (!isPackrunError(error) || !error.userError) throw error;
    await endExecution(options, current, 'failed', { error: error.message }, toFailure(error));
    return false;
  }
  // A cancel or pause asked between the claim and now found no record to add its request to.
  const latest = await store.executions.get(current.id);
  if (latest?.status === 'canceling') record.control.push({ kind: 'cancel', by: 'api', at: nowIso() });
  if (latest?.status === 'pausing') record.control.push({ kind: 'pause', by: 'api', at: nowIso() });
  try {
    await store.workflows.insert(record);
  } catch (error) {
    if (!isPackrunError(error) || error.code !== 'STORE_DUPLICATE_ID') throw error;
  }
  return true;
}

/**
 * What a re-run from some tasks starts from: the original workflow's file and final state (the
 * driver's rerun event then runs the tasks again, keeping what the others did).
 */
async function rerunSource(options: WorkflowStepsOptions, execution: ExecutionRecord): Promise<{ source: WorkflowRecord['source']; state: string }> {
  const original = await options.store.workflows.get(execution.rerunOf ?? '');
  if (!original || !finalStatuses.has(original.status as WorkflowStatus) || original.action !== execution.action) {
    throw new PackrunError('WORKFLOW_RERUN_INVALID', `workflow execution "${execution.rerunOf}" has no finished state of ${execution.action} to re-run from`, {
      hint: 'a workflow re-runs from its tasks once it has ended; its state goes with it when it is purged',
      details: { execution: execution.id, rerunOf: execution.rerunOf },
    });
  }
  return { source: original.source, state: stateTextOf(original) ?? 'null' };
}

/**
 * What the workflow's tasks notify with (StackStorm's runners): the workflow's notify block (its
 * action's when it has one, else its request's) and the Orquesta `notify` or action-chain
 * `skip_notify` runner parameter. Undefined when no task can notify.
 */
async function workflowNotify(options: WorkflowStepsOptions, execution: ExecutionRecord, runnerType: string, runnerParameters: Record<string, Json>): Promise<WorkflowNotify | undefined> {
  const action = await options.store.actions.get(execution.action);
  const ofAction = action?.metadata['notify'];
  const block = isNotifyBlock(ofAction) ? ofAction : isNotifyBlock(execution.notify) ? execution.notify : undefined;
  const names = (value: Json | undefined): string[] => (Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : []);
  const notify: WorkflowNotify = {};
  if (block) notify.block = block;
  if (runnerType === 'orquesta') {
    const tasks = names(runnerParameters['notify']);
    if (tasks.length === 0 || !block) return undefined;
    notify.tasks = tasks;
  } else {
    // A chain's nodes may have a notify of their own, with or without the workflow's.
    notify.skip = names(runnerParameters['skip_notify']);
  }
  return notify;
}

function isNotifyBlock(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
}

/** A with-items list's items as written beside the workflow, by index (null: not ended). */
async function loadItems(options: WorkflowStepsOptions, workflow: string, list: string): Promise<Array<ItemEnd | null>> {
  const records = await options.store.workflowItems.find({ workflow, list }, { sort: { index: 1 } });
  const items: Array<ItemEnd | null> = [];
  for (const record of records) {
    while (items.length < record.index) items.push(null);
    items[record.index] = { status: record.status, result: record.result as Json };
  }
  return items;
}

/** One record per item that ended: a step's write of the workflow's state never carries them. */
async function writeItems(options: WorkflowStepsOptions, workflow: string, items: ItemRecord[] | undefined): Promise<void> {
  for (const item of items ?? []) {
    await options.store.workflowItems.put({ id: `${workflow}:${item.list}:${item.index}`, workflow, list: item.list, index: item.index, status: item.status, result: item.result });
  }
}

/** A re-run starts from the original's state, whose lists are the original's: the re-run gets copies of its own. */
async function copyItems(options: WorkflowStepsOptions, from: string, to: string): Promise<void> {
  for (let skip = 0; ; skip += 500) {
    const records = await options.store.workflowItems.find({ workflow: from }, { sort: { id: 1 }, skip, limit: 500 });
    for (const record of records) await options.store.workflowItems.put({ ...record, id: `${to}:${record.list}:${record.index}`, workflow: to });
    if (records.length < 500) return;
  }
}

/** The driver's state of a workflow record as JSON text (records written before kept the value itself). */
function stateTextOf(record: WorkflowRecord): string | undefined {
  if (typeof record.state === 'string') return record.state;
  return record.state === undefined ? undefined : JSON.stringify(record.state);
}

function driverStateOf(record: WorkflowRecord): Json | undefined {
  const text = stateTextOf(record);
  return text === undefined ? undefined : (JSON.parse(text) as Json);
}

/** The fields a step changes: its state, status, result, the children it starts and the outbox of its effects. */
function stepFields(record: WorkflowRecord, step: StepResult, consumed: Partial<WorkflowRecord>): Partial<WorkflowRecord> {
  const started = step.start.map((request) => ({ requestId: request.requestId, execution: childExecutionId(record.id, request.requestId) }));
  const timers = [...(consumed.timers ?? record.timers), ...step.timers];
  const fields: Partial<WorkflowRecord> = {
    ...consumed,
    version: record.version + 1,
    state: JSON.stringify(step.state),
    status: step.status,
    waiting: [...(consumed.waiting ?? record.waiting), ...started],
    timers,
    updatedAt: nowIso(),
  };
  const nextTimer = Math.min(...timers.map((timer) => timer.fireAt));
  if (Number.isFinite(nextTimer)) fields.nextTimerAt = nextTimer;
  if (step.result !== undefined) fields.result = step.result;
  const outbox: WorkflowOutbox = { id: newId(), start: step.start, cancel: step.cancel, pause: step.pause, resume: step.resume };
  if (outbox.start.length + outbox.cancel.length + outbox.pause.length + outbox.resume.length > 0) fields.outbox = outbox;
  return fields;
}

async function applyEvent(options: WorkflowStepsOptions, record: WorkflowRecord, workflow: ExecutionRecord, pending: PendingEvent, at: number): Promise<WorkflowRecord | undefined> {
  let step: StepResult;
  try {
    const driver = workflowDriver(record.runnerType, record.action);
    step = await runStep({
      driver,
      definition: definitionOf(record, driver),
      stateText: stateTextOf(record),
      event: pending.event,
      now: at,
      kv: workflowKeyValues(options.keyValues, record.user, record.source.pack),
      mayDecrypt: decryptRightsOf(workflow),
      workflow: record.id,
      items: (list) => loadItems(options, record.id, list),
    });
  } catch (error) {
    if (!isPackrunError(error) || !error.userError) throw error;
    // A step the driver cannot take (a template that fails, a key its user may not decrypt) ends the workflow failed.
    step = { state: driverStateOf(record) ?? null, start: [], timers: [], cancel: [], pause: [], resume: [], status: 'failed', result: { error: error.message } };
  }
  // Before the state that counts them: a step that loses its compare-and-set to another engine
  // applying the same event wrote the same items (a child's end does not change).
  await writeItems(options, record.id, step.items);
  const fields = stepFields(record, step, pending.consumed);
  const unset: Array<'outbox' | 'nextTimerAt'> = [];
  if (fields.outbox === undefined) unset.push('outbox');
  if (fields.nextTimerAt === undefined) unset.push('nextTimerAt');
  // Undefined when another engine stepped it first: the next round reads what that one wrote.
  return options.store.workflows.updateOne({ id: record.id, version: record.version }, { set: fields, ...(unset.length > 0 ? { unset } : {}) });
}

const statusOfDriver: Record<WorkflowStatus, ExecutionStatus> = {
  running: 'running',
  pausing: 'pausing',
  paused: 'paused',
  resuming: 'resuming',
  canceling: 'canceling',
  canceled: 'canceled',
  succeeded: 'succeeded',
  failed: 'failed',
};

/** Shows the driver's status on the workflow execution (pausing, paused, running again...) once every control request was seen. */
async function mirrorStatus(options: WorkflowStepsOptions, record: WorkflowRecord, workflow: ExecutionRecord): Promise<void> {
  const status = statusOfDriver[record.status as WorkflowStatus];
  if (status === undefined || status === workflow.status || isCompleted(workflow.status)) return;
  if (record.controlSeen < record.control.length) return;
  const at = nowIso();
  const updated = await options.store.executions.updateOne(
    { id: workflow.id, status: { $in: openWorkflowStatuses } },
    { set: { status }, push: { log: { status, at, by: options.engineId } } },
  );
  if (updated) publishExecutionUpdate(options.bus, options.logger, updated);
}

async function closeWorkflow(options: WorkflowStepsOptions, record: WorkflowRecord, workflow: ExecutionRecord): Promise<void> {
  const status = statusOfDriver[record.status as WorkflowStatus];
  const result = (record.result ?? {}) as Record<string, unknown>;
  if (!isCompleted(workflow.status)) await endExecution(options, workflow, status, result);
  // Timers a finished workflow left are dropped, so the timer poll never meets it again.
  await options.store.workflows.update({ id: record.id }, { set: { phase: 'closed', timers: [], updatedAt: nowIso() }, unset: ['nextTimerAt', 'outbox'] });
  definitions.delete(record.id);
  carriedOutboxes.delete(record.id);
}

/** Writes a workflow execution's final status and result, as the ledger does for an action's. */
async function endExecution(
  options: WorkflowStepsOptions,
  workflow: ExecutionRecord,
  status: ExecutionStatus,
  result: Record<string, unknown>,
  error?: Failure,
): Promise<void> {
  const data = await prepareResult(options.store.executionBlobs, workflow.id, result, options.resultInlineBytes);
  const endedAt = nowIso();
  const started = Date.parse(workflow.startedAt ?? workflow.createdAt);
  const set: Partial<ExecutionRecord> = { ...data.fields, status, endedAt, durationMs: Math.max(0, Date.parse(endedAt) - started) };
  if (error) set.error = error;
  const change = error ? { status, at: endedAt, by: options.engineId, reason: error.message } : { status, at: endedAt, by: options.engineId };
  const updated = await options.store.executions.updateOne({ id: workflow.id, status: { $nin: [...completedStatuses] } }, { set, push: { log: change } });
  if (updated) {
    publishExecutionUpdate(options.bus, options.logger, updated);
    // Only the engine that ended it: the workflow's own notify and actiontrigger, once.
    options.executions.completed?.(updated);
  } else await options.store.executionBlobs.discard(workflow.id, data.written).catch(() => undefined);
}
