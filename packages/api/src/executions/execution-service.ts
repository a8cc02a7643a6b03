import {
  PackrunError,
  isCompleted,
  isPackrunError,
  leastPrivilegedCaller,
  maskSecrets,
  maskedValue,
  newId,
  nowIso,
  type ActionRecord,
  type Bus,
  type ExecutionRecord,
  type ExecutionStatus,
  type Logger,
  type ParameterOrigin,
  type Store,
  isWorkflowRunner,
  unavailableActionError,
} from '@packrun/core';
import { publishExecutionUpdate } from '@packrun/action-runner';
import { workflowDriver } from '@packrun/workflow-engine';
import { secretParameterNames } from './masking.ts';
import type { SecretParameterSealer } from './secret-parameters.ts';

/**
 * Checks the given parameters against the action's schema and fills defaults, rendering templates
 * as `origin` says (as the caller, or not at all for data); throws naming the parameter.
 */
export type ParameterValidator = (action: ActionRecord, input: Record<string, unknown>, origin: ParameterOrigin, user: string) => Promise<Record<string, unknown>>;

export interface CreateExecutionInput {
  /** Chosen by the client; a new id otherwise. */
  id?: string;
  action: string;
  parameters: Record<string, unknown>;
  user: string;
  context?: Record<string, unknown>;
  rerunOf?: string;
  /** The request's notify block (StackStorm's shape), checked by the route's schema. */
  notify?: Record<string, unknown>;
  /** The workflow execution that asks for this one as one of its tasks (the workflow engine). */
  parent?: string;
  /** With rerunOf: the tasks a workflow re-runs from (ExecutionRecord.rerunTasks). */
  rerunTasks?: string[];
  /** With rerunTasks: ExecutionRecord.rerunReset. */
  rerunReset?: string[];
  /** st2's `delay`: held `delayed` this many milliseconds before it is scheduled (at most maxDelayMs). */
  delayMs?: number;
  /**
   * What the parameters are: `{from: 'caller', mayDecrypt: {system, user}}` for values a caller
   * typed, rendered with that caller's rights when the execution runs (the API route passes the
   * caller's own decrypt rights); `{from: 'data'}` for values that are data (a rule's, rendered over
   * a trigger payload), never rendered again. Default: leastPrivilegedCaller, who decrypts nothing.
   */
  parameterOrigin?: ParameterOrigin;
}

export interface ExecutionServiceOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  validate: ParameterValidator;
  secrets: SecretParameterSealer;
  /** Told once of every execution this service ended (a cancel before a runner took it); see StoreLedgerOptions.onCompleted. */
  onCompleted?: (record: ExecutionRecord) => void;
}

export interface ExecutionService {
  getAction(ref: string): Promise<ActionRecord>;
  get(id: string): Promise<ExecutionRecord>;
  create(input: CreateExecutionInput): Promise<ExecutionRecord>;
  /**
   * `create`, made idempotent by the client's id: when an execution with `input.id` exists already,
   * requested by the same user for the same action (a retry after a timeout, a 500 or a 507), it
   * is answered instead of a new one (`created: false`); of another user or action, EXECUTION_EXISTS.
   */
  createOrGet(input: CreateExecutionInput): Promise<{ record: ExecutionRecord; created: boolean }>;
  cancel(id: string, user: string): Promise<ExecutionRecord>;
  /** Asks a running workflow to pause (its running children that are workflows pause too). */
  pause(id: string, user: string): Promise<ExecutionRecord>;
  /** Asks a paused or pausing workflow to go on. */
  resume(id: string, user: string): Promise<ExecutionRecord>;
  /** `tasks` re-runs a completed Orquesta workflow from those tasks (none named: its failed ones), keeping what the others did. */
  rerun(id: string, user: string, overrides: Record<string, unknown>, options?: RerunOptions): Promise<ExecutionRecord>;
  /**
   * Asks for `original` again as it was asked (same user, parameters with their secret values,
   * rendering rights and notify block) under a new context: a retry policy's re-run, held
   * `delayed` for `delayMs` first when given.
   */
  requestAgain(original: ExecutionRecord, context: Record<string, unknown>, delayMs?: number): Promise<ExecutionRecord>;
  /** Queues again what was stored but never confirmed queued (bus outage, restart); returns how many. */
  requeueUnqueued(options: { includeScheduled: boolean; olderThanMs: number }): Promise<number>;
  /**
   * Schedules the executions whose delay has passed (also those due while no API ran), and keeps
   * a timer for the next one due; returns how many it scheduled.
   */
  releaseDelayed(): Promise<number>;
  /** Stops the timer of the next delayed execution. */
  stop(): void;
  /** Told of an execution ended outside this service and the runners' ledger (a workflow its engine ended): onCompleted follows, as for any end. */
  completed(record: ExecutionRecord): void;
}

export interface RerunOptions {
  /** Whose rights render the caller's parameters (leastPrivilegedCaller when absent). */
  caller?: ParameterOrigin;
  /** Re-runs a completed Orquesta workflow from these tasks (empty: its failed ones). */
  tasks?: string[];
  /** With tasks: the with-items tasks whose every item runs again. */
  reset?: string[];
  delayMs?: number;
}

/** How long a create waits for the broker's confirm before answering anyway. */
const answerWithinMs = 2000;

/** The longest delay a caller may ask for: held executions are stored records, not free. */
export const maxDelayMs = 7 * 24 * 3600 * 1000;

/**
 * The API side of the execution lifecycle: validate, store as `requested`, queue (confirmed), mark
 * `scheduled`; cancel and re-run. The runner side is the ledger in @packrun/action-runner.
 *
 * Secret parameters are masked in the stored parameters and in the queue message; their values
 * are kept sealed on the record and handed only to the runner that claims the execution.
 */
export function createExecutionService(options: ExecutionServiceOptions): ExecutionService {
  const { store, bus, logger, secrets } = options;
  const enqueuing = new Set<string>();

  async function getAction(ref: string): Promise<ActionRecord> {
    const action = await store.actions.get(ref);
    if (!action) {
      throw new PackrunError('ACTION_NOT_FOUND', `action "${ref}" is not registered`, {
        hint: 'install its pack (`packrun pack install`); `packrun action list` shows what is available',
        details: { action: ref },
      });
    }
    return action;
  }

  async function get(id: string): Promise<ExecutionRecord> {
    const record = await store.executions.get(id);
    if (!record) throw new PackrunError('EXECUTION_NOT_FOUND', `execution "${id}" does not exist`, { details: { execution: id } });
    return record;
  }

  async function setStatus(
    filter: Parameters<Store['executions']['updateOne']>[0],
    status: ExecutionStatus,
    set: Partial<ExecutionRecord>,
    by: string,
    reason?: string,
  ): Promise<ExecutionRecord | undefined> {
    const at = nowIso();
    const change = reason === undefined ? { status, at, by } : { status, at, by, reason };
    const updated = await store.executions.updateOne(filter, { set: { ...set, status }, push: { log: change } });
    if (updated) publishExecutionUpdate(bus, logger, updated);
    if (updated && isCompleted(updated.status)) options.onCompleted?.(updated);
    return updated;
  }

  /** Workflows go to the workflow engines, every other action to the action runners. */
  async function queue(record: ExecutionRecord): Promise<void> {
    if (isWorkflowRunner(record.runnerType)) await bus.enqueue('workflows', { workflowId: record.id, reason: 'requested' });
    else await bus.enqueue('executions', { executionId: record.id, action: record.action, parameters: record.parameters, context: record.context });
  }

  async function enqueue(record: ExecutionRecord): Promise<void> {
    enqueuing.add(record.id);
    try {
      await queue(record);
      await setStatus({ id: record.id, status: 'requested' }, 'scheduled', { scheduledAt: nowIso() }, 'api');
    } catch (error) {
      // Stored but not confirmed queued: the requeue loop sends it once the bus is back.
      logger.warn({ err: error, executionId: record.id }, 'execution stored but not yet queued');
    } finally {
      enqueuing.delete(record.id);
    }
  }

  /** The execution a retried create names, if it is the same request's; EXECUTION_EXISTS otherwise. */
  function sameRequest(existing: ExecutionRecord, input: CreateExecutionInput): ExecutionRecord {
    if (existing.user === input.user && existing.action === input.action) return existing;
    throw new PackrunError('EXECUTION_EXISTS', `execution "${existing.id}" already exists, requested by another caller or for another action`, {
      hint: 'choose a new id for a new execution; a retry gets the execution back only with the same action, as the same user',
      details: { execution: existing.id },
    });
  }

  async function createOrGet(input: CreateExecutionInput): Promise<{ record: ExecutionRecord; created: boolean }> {
    if (input.id !== undefined) {
      const existing = await store.executions.get(input.id);
      if (existing) return { record: sameRequest(existing, input), created: false };
    }
    try {
      return { record: await create(input), created: true };
    } catch (error) {
      // Two tries of the same request at once: the store let one insert win.
      if (input.id === undefined || !isPackrunError(error) || error.code !== 'STORE_DUPLICATE_ID') throw error;
      const existing = await store.executions.get(input.id);
      if (!existing) throw error;
      return { record: sameRequest(existing, input), created: false };
    }
  }

  async function create(input: CreateExecutionInput): Promise<ExecutionRecord> {
    const action = await getAction(input.action);
    if (action.unavailable) throw unavailableActionError(action.ref, action.unavailable);
    if (!action.enabled) {
      throw new PackrunError('ACTION_DISABLED', `action "${action.ref}" is disabled`, { details: { action: action.ref } });
    }
    if (isWorkflowRunner(action.runnerType)) workflowDriver(action.runnerType, action.ref);
    const parameterOrigin = input.parameterOrigin ?? leastPrivilegedCaller;
    const parameters = await options.validate(action, input.parameters, parameterOrigin, input.user);
    const id = input.id ?? newId();
    const secretNames = secretParameterNames(action.parameters).filter((name) => parameters[name] !== undefined && parameters[name] !== null);
    const createdAt = nowIso();
    const delayMs = input.delayMs ?? 0;
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > maxDelayMs) {
      throw new PackrunError('PARAMETER_INVALID', `delay ${delayMs} ms is out of range: 0 to ${maxDelayMs} ms (7 days)`, { details: { parameter: 'delay' } });
    }
    const record: ExecutionRecord = {
      id,
      action: action.ref,
      pack: action.pack,
      runnerType: action.runnerType,
      parameters: maskSecrets(parameters, secretNames),
      status: delayMs > 0 ? 'delayed' : 'requested',
      log: [{ status: 'requested', at: createdAt, by: input.user }, ...(delayMs > 0 ? [{ status: 'delayed' as const, at: createdAt, by: 'api', reason: `delay of ${delayMs} ms` }] : [])],
      createdAt,
      ...(delayMs > 0 ? { delayMs, delayUntil: new Date(Date.parse(createdAt) + delayMs).toISOString() } : {}),
      context: { ...input.context, user: input.user },
      user: input.user,
      parameterOrigin,
    };
    if (secretNames.length > 0) {
      record.secretParameters = secrets.seal(Object.fromEntries(secretNames.map((name) => [name, parameters[name]])), id);
    }
    if (input.rerunOf !== undefined) record.rerunOf = input.rerunOf;
    if (input.notify !== undefined) record.notify = input.notify;
    if (input.parent !== undefined) record.parent = input.parent;
    if (input.rerunOf !== undefined && input.rerunTasks !== undefined) record.rerunTasks = input.rerunTasks;
    if (input.rerunOf !== undefined && input.rerunTasks !== undefined && input.rerunReset !== undefined) record.rerunReset = input.rerunReset;
    if (isWorkflowRunner(action.runnerType)) record.children = [];
    await store.executions.insert(record);
    publishExecutionUpdate(bus, logger, record);
    if (record.delayUntil !== undefined) {
      releaseAt(record.delayUntil);
      return record;
    }
    // During a broker outage the bus holds the message until it reconnects; the caller gets its
    // 201 (status requested) without waiting for that.
    const queued = enqueue(record);
    await Promise.race([queued, new Promise((resolve) => setTimeout(resolve, answerWithinMs).unref())]);
    return (await store.executions.get(record.id)) ?? record;
  }

  async function cancel(id: string, user: string): Promise<ExecutionRecord> {
    const current = await get(id);
    if (isCompleted(current.status)) {
      throw new PackrunError('EXECUTION_NOT_CANCELABLE', `execution "${id}" already ended ${current.status}`, {
        details: { execution: id, status: current.status },
      });
    }
    const queued = await setStatus(
      { id, status: { $in: ['requested', 'scheduled', 'delayed'] } },
      'canceled',
      { endedAt: nowIso() },
      user,
      'canceled before a runner took it',
    );
    if (queued) return queued;
    // An inquiry waiting for its response has no runner to stop: it ends at once.
    const waiting = await setStatus({ id, status: 'pending' }, 'canceled', { endedAt: nowIso() }, user, 'canceled while waiting for a response');
    if (waiting) return waiting;
    if (isWorkflowRunner(current.runnerType)) return controlWorkflow(current, 'cancel', user);
    const running = await setStatus({ id, status: 'running' }, 'canceling', {}, user);
    // Not awaited: during a broker outage it is sent on reconnect, and the caller has its answer.
    bus.publish('execution-cancel', { executionId: id, requestedBy: user, at: nowIso() }).catch((error: unknown) => {
      logger.warn({ err: error, executionId: id }, 'cancel request not broadcast; retry the cancel');
    });
    return running ?? (await get(id));
  }

  /**
   * A pause, resume or cancel of a workflow: the request is appended to the workflow's record (the
   * engine feeds it to the driver, in order) and the execution shows the status it asked for.
   */
  async function controlWorkflow(current: ExecutionRecord, kind: 'pause' | 'resume' | 'cancel', user: string): Promise<ExecutionRecord> {
    const from: Record<typeof kind, ExecutionStatus[]> = {
      pause: ['running', 'resuming'],
      resume: ['paused', 'pausing'],
      cancel: ['running', 'pausing', 'paused', 'resuming'],
    };
    const to: Record<typeof kind, ExecutionStatus> = { pause: 'pausing', resume: 'resuming', cancel: 'canceling' };
    if (!from[kind].includes(current.status)) {
      throw new PackrunError(kind === 'cancel' ? 'EXECUTION_NOT_CANCELABLE' : 'EXECUTION_STATE_INVALID', `workflow execution "${current.id}" is ${current.status}; it cannot ${kind} now`, {
        hint: kind === 'resume' ? 'only a paused (or pausing) workflow resumes' : 'only a running workflow pauses',
        details: { execution: current.id, status: current.status },
      });
    }
    const at = nowIso();
    const changed = await setStatus({ id: current.id, status: { $in: from[kind] } }, to[kind], {}, user);
    if (!changed) return get(current.id);
    await store.workflows.update({ id: current.id }, { push: { control: { kind, by: user, at } } });
    await bus.enqueue('workflows', { workflowId: current.id, reason: 'control' }).catch((error: unknown) => {
      // The engines' sweep finds the request without the wake-up.
      logger.warn({ err: error, executionId: current.id }, 'workflow not woken for its control request; the sweep will');
    });
    return changed;
  }

  async function pauseOrResume(id: string, kind: 'pause' | 'resume', user: string): Promise<ExecutionRecord> {
    const current = await get(id);
    if (!isWorkflowRunner(current.runnerType)) {
      throw new PackrunError('EXECUTION_STATE_INVALID', `execution "${id}" runs ${current.action}, which is not a workflow: only workflows ${kind}`, {
        details: { execution: id, runner: current.runnerType },
      });
    }
    return controlWorkflow(current, kind, user);
  }

  /**
   * A re-run by `caller`: the original's parameters stay data when they were (a rule's), and are
   * otherwise rendered with the re-running caller's rights, never the original caller's.
   */
  async function rerun(id: string, user: string, overrides: Record<string, unknown>, rerunOptions: RerunOptions = {}): Promise<ExecutionRecord> {
    const { caller = leastPrivilegedCaller, tasks, reset, delayMs } = rerunOptions;
    const original = await get(id);
    const notNamed = (reset ?? []).filter((task) => !(tasks ?? []).includes(task));
    if (notNamed.length > 0) {
      throw new PackrunError('PARAMETER_INVALID', `reset names tasks the re-run does not run again: ${notNamed.join(', ')}`, {
        hint: 'reset lists the with-items tasks among `tasks` whose every item runs again (st2 execution re-run --tasks t1 --no-reset t1 keeps t1\'s items that succeeded)',
        details: { field: 'reset', tasks: notNamed },
      });
    }
    if (tasks !== undefined && (original.runnerType !== 'orquesta' || !isCompleted(original.status))) {
      throw new PackrunError('EXECUTION_STATE_INVALID', `execution "${id}" is ${original.status} ${original.runnerType ?? 'action'}: only a completed Orquesta workflow re-runs from its tasks`, {
        hint: 're-run it without tasks to run it again from the start',
        details: { execution: id, status: original.status, runner: original.runnerType },
      });
    }
    const kept = original.secretParameters ? secrets.open(original.secretParameters, original.id) : {};
    const parameters = { ...original.parameters, ...kept, ...overrides };
    const masked = Object.keys(parameters).find((name) => parameters[name] === maskedValue && !(name in kept));
    if (masked !== undefined) {
      throw new PackrunError('PARAMETER_INVALID', `secret parameter "${masked}" of execution "${id}" was not kept; give it again to re-run`, {
        hint: 'pass it in the re-run body: {"parameters": {"<name>": "<value>"}}',
        details: { parameter: masked },
      });
    }
    const parameterOrigin = original.parameterOrigin?.from === 'data' ? original.parameterOrigin : caller;
    const rerunContext = { 're-run': { ref: id, ...(tasks === undefined ? {} : { tasks }) } };
    return create({
      action: original.action,
      parameters,
      user,
      context: rerunContext,
      rerunOf: id,
      parameterOrigin,
      ...(tasks === undefined ? {} : { rerunTasks: tasks }),
      ...(tasks !== undefined && reset !== undefined ? { rerunReset: reset } : {}),
      ...(delayMs === undefined ? {} : { delayMs }),
    });
  }

  async function requestAgain(original: ExecutionRecord, context: Record<string, unknown>, delayMs?: number): Promise<ExecutionRecord> {
    const kept = original.secretParameters ? secrets.open(original.secretParameters, original.id) : {};
    return create({
      action: original.action,
      parameters: { ...original.parameters, ...kept },
      user: original.user ?? String(original.context['user'] ?? 'anonymous'),
      context,
      parameterOrigin: original.parameterOrigin ?? leastPrivilegedCaller,
      ...(original.notify ? { notify: original.notify } : {}),
      ...(delayMs ? { delayMs } : {}),
    });
  }

  async function requeueUnqueued({ includeScheduled, olderThanMs }: { includeScheduled: boolean; olderThanMs: number }): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs).toISOString();
    const statuses: ExecutionStatus[] = includeScheduled ? ['requested', 'scheduled'] : ['requested'];
    const pending = await store.executions.find({ status: { $in: statuses }, createdAt: { $lte: cutoff } }, { sort: { createdAt: 1 } });
    let queued = 0;
    for (const record of pending) {
      if (enqueuing.has(record.id)) continue;
      try {
        await queue(record);
        if (record.status === 'requested') {
          await setStatus({ id: record.id, status: 'requested' }, 'scheduled', { scheduledAt: nowIso() }, 'api');
        }
        queued += 1;
      } catch (error) {
        logger.warn({ err: error }, 'requeue paused: the bus is not accepting messages');
        break;
      }
    }
    return queued;
  }

  // The next delayed execution due, as far as this process knows: one timer, re-armed after each release.
  let nextRelease: { at: number; timer: NodeJS.Timeout } | undefined;
  function releaseAt(due: string): void {
    const at = Date.parse(due);
    if (nextRelease && nextRelease.at <= at) return;
    if (nextRelease) clearTimeout(nextRelease.timer);
    const timer = setTimeout(() => {
      nextRelease = undefined;
      releaseDelayed().catch((error: unknown) => logger.warn({ err: error }, 'delayed executions not released; the sweep tries again'));
    }, Math.max(0, at - Date.now()));
    timer.unref();
    nextRelease = { at, timer };
  }

  async function releaseDelayed(): Promise<number> {
    const due = await store.executions.find({ status: 'delayed', delayUntil: { $lte: nowIso() } }, { sort: { delayUntil: 1 }, limit: 500 });
    let released = 0;
    for (const record of due) {
      // Of two APIs on one store, the one whose compare-and-set wins schedules it.
      const requested = await setStatus({ id: record.id, status: 'delayed' }, 'requested', {}, 'api', 'its delay passed');
      if (!requested) continue;
      await enqueue(requested);
      released += 1;
    }
    const [next] = await store.executions.find({ status: 'delayed', delayUntil: { $exists: true } }, { sort: { delayUntil: 1 }, limit: 1 });
    if (next?.delayUntil !== undefined) releaseAt(next.delayUntil);
    return released;
  }

  return {
    getAction,
    get,
    create,
    createOrGet,
    cancel,
    pause: (id, user) => pauseOrResume(id, 'pause', user),
    resume: (id, user) => pauseOrResume(id, 'resume', user),
    rerun,
    requestAgain,
    requeueUnqueued,
    releaseDelayed,
    stop() {
      if (nextRelease) clearTimeout(nextRelease.timer);
      nextRelease = undefined;
    },
    completed: (record) => {
      if (isCompleted(record.status)) options.onCompleted?.(record);
    },
  };
}
