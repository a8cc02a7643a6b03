import {
  isCompleted,
  isPackrunError,
  nowIso,
  toFailure,
  type Bus,
  type ExecutionRecord,
  type Logger,
  type Store,
  type WorkflowChildRequest,
  type WorkflowOutbox,
  type WorkflowRecord,
} from '@packrun/core';
import { publishExecutionUpdate } from '@packrun/action-runner';
import { childExecutionId } from '../child-id.ts';
import type { TaskExecutions } from './task-executions.ts';

export interface ChildEffectsOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  executions: TaskExecutions;
}

/** Context keys of the workflow execution every child keeps: who started it and on whose behalf. */
const inheritedContext = ['rule', 'trigger_instance', 'trace_context'] as const;

/**
 * Carries out an outbox. Every effect may already have happened (the process died after doing
 * part of it): a child's id is derived from its request, so a start finds the child made and goes
 * on, and cancel, pause and resume of a child that is past them are no-ops.
 */
export async function carryOutOutbox(options: ChildEffectsOptions, record: WorkflowRecord, workflow: ExecutionRecord, outbox: WorkflowOutbox): Promise<void> {
  for (const request of outbox.start) await startChild(options, record, workflow, request);
  const childOf = (requestId: string): string => childExecutionId(record.id, requestId);
  const control = async (kind: 'cancel' | 'pause' | 'resume', requestIds: string[]): Promise<void> => {
    for (const requestId of requestIds) {
      const child = await options.store.executions.get(childOf(requestId));
      if (!child || isCompleted(child.status)) continue;
      // StackStorm's cascade: child workflows pause, resume and cancel with their parent; an
      // action already running is left to finish (its end ends the parent), one still queued is
      // canceled, and so is an inquiry waiting for its response (no one may answer it any more).
      const queued = child.status === 'requested' || child.status === 'scheduled' || child.status === 'pending';
      if (!isWorkflowChild(child) && !(kind === 'cancel' && queued)) continue;
      try {
        await options.executions[kind](child.id, record.user);
      } catch (error) {
        if (!isPackrunError(error) || !error.userError) throw error;
        options.logger.debug({ err: error, child: child.id, kind }, 'child not changed: it is past that already');
      }
    }
  };
  await control('cancel', outbox.cancel);
  await control('pause', outbox.pause);
  await control('resume', outbox.resume);
}

function isWorkflowChild(child: ExecutionRecord): boolean {
  return child.runnerType === 'orquesta' || child.runnerType === 'action-chain';
}

async function startChild(options: ChildEffectsOptions, record: WorkflowRecord, workflow: ExecutionRecord, request: WorkflowChildRequest): Promise<void> {
  const { store } = options;
  const id = childExecutionId(record.id, request.requestId);
  if (!(await store.executions.get(id))) {
    const context: Record<string, unknown> = { ...request.context };
    for (const key of inheritedContext) if (workflow.context[key] !== undefined) context[key] = workflow.context[key];
    if (context['parent'] === undefined) context['parent'] = { execution_id: record.id, user: record.user };
    try {
      await options.executions.create({
        id,
        action: request.action,
        // Rendered by the driver already: data, never rendered again.
        parameters: request.parameters,
        user: record.user,
        context,
        parameterOrigin: { from: 'data' },
        parent: record.id,
        ...notifyOf(record, request),
      });
    } catch (error) {
      if (isPackrunError(error) && (error.code === 'EXECUTION_EXISTS' || error.code === 'STORE_DUPLICATE_ID')) {
        // Made by another engine replaying the same outbox.
      } else if (isPackrunError(error) && error.userError) {
        await recordRefusedChild(options, record, request, id, context, error);
      } else {
        throw error;
      }
    }
  }
  await store.executions.update({ id: record.id, children: { $nin: [id] } }, { push: { children: id } });
}

/**
 * A task's notify, as StackStorm's runners give it: an Orquesta task the workflow's `notify`
 * runner parameter names gets the workflow's block; an action-chain node its own `notify`, else
 * the workflow's, unless `skip_notify` names it.
 */
function notifyOf(record: WorkflowRecord, request: WorkflowChildRequest): { notify?: Record<string, unknown> } {
  const notify = record.notify;
  if (notify === undefined) return {};
  const context = request.context as Record<string, unknown>;
  const orquesta = context['orquesta'] as Record<string, unknown> | undefined;
  const chain = context['chain'] as Record<string, unknown> | undefined;
  if (orquesta !== undefined) {
    const task = orquesta['task_name'];
    return notify.block && typeof task === 'string' && notify.tasks?.includes(task) ? { notify: notify.block } : {};
  }
  if (chain === undefined) return {};
  const name = chain['name'];
  if (typeof name === 'string' && notify.skip?.includes(name)) return {};
  const own = chain['notify'];
  if (typeof own === 'object' && own !== null && !Array.isArray(own) && Object.keys(own).length > 0) return { notify: own as Record<string, unknown> };
  return notify.block ? { notify: notify.block } : {};
}

/**
 * A task the execution service refused (unknown action, bad parameter, an action its user may not
 * run) still becomes a child execution, failed with the reason: it shows in the tree, and the
 * driver hears of it as of any failed task.
 */
async function recordRefusedChild(
  options: ChildEffectsOptions,
  record: WorkflowRecord,
  request: WorkflowChildRequest,
  id: string,
  context: Record<string, unknown>,
  error: Error,
): Promise<void> {
  const failure = toFailure(error);
  const at = nowIso();
  const child: ExecutionRecord = {
    id,
    action: request.action,
    pack: request.action.split('.')[0] ?? '',
    parameters: request.parameters,
    status: 'failed',
    error: failure,
    result: { error: failure.message },
    log: [
      { status: 'requested', at, by: record.user },
      { status: 'failed', at, by: 'workflow-engine', reason: failure.message },
    ],
    createdAt: at,
    endedAt: at,
    context: { ...context, user: record.user },
    user: record.user,
    parent: record.id,
    parameterOrigin: { from: 'data' },
  };
  try {
    await options.store.executions.insert(child);
    publishExecutionUpdate(options.bus, options.logger, child);
  } catch (insertError) {
    if (!isPackrunError(insertError) || insertError.code !== 'STORE_DUPLICATE_ID') throw insertError;
  }
}
