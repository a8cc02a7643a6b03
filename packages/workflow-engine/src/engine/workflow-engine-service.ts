import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  workflowRunnerTypes,
  type Bus,
  type Consumer,
  type DataPaths,
  type KeyValues,
  type Logger,
  type Store,
} from '@packrun/core';
import type { TaskExecutions } from './task-executions.ts';
import { advanceWorkflow, type WorkflowStepsOptions } from './workflow-steps.ts';

export interface WorkflowEngineOptions {
  store: Store;
  bus: Bus;
  logger: Logger;
  paths: DataPaths;
  keyValues: KeyValues;
  executions: TaskExecutions;
  /** Decrypts a workflow execution's sealed secret parameters (the API's sealer). */
  openSecrets: (sealed: string, executionId: string) => Record<string, unknown>;
  resultInlineBytes: number;
  /** Workflows advanced at once by this engine. */
  concurrency?: number;
  /** How often open workflows nobody woke for this long are looked at again (a lost wake-up). */
  sweepMs?: number;
  /** How often due timers are looked for. */
  timerPollMs?: number;
}

export interface WorkflowEngine {
  readonly id: string;
  /** Advances a workflow now, in this process (tests, recovery). */
  advance(workflowId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The workflow engine service: takes wake-ups from the `workflows` queue (any number of engines
 * share it), advances each workflow from what the store holds, and on start picks up every open
 * workflow, so one that an engine left mid-step (killed, restarted) goes on from its stored state.
 * Timers and a slow sweep of open workflows cover wake-ups lost with a broker outage.
 */
export async function startWorkflowEngine(options: WorkflowEngineOptions): Promise<WorkflowEngine> {
  const logger = options.logger.child({ component: 'workflow-engine' });
  const id = `workflow-engine-${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const steps: WorkflowStepsOptions = { ...options, logger, engineId: id };
  const running = new Map<string, Promise<void>>();
  let stopped = false;

  /** One advance per workflow at a time in this process; a wake-up during one runs another after it. */
  function advance(workflowId: string): Promise<void> {
    const previous = running.get(workflowId) ?? Promise.resolve();
    const next = previous
      .then(() => (stopped ? undefined : advanceWorkflow(steps, workflowId)))
      .catch((error: unknown) => logger.error({ err: error, workflow: workflowId }, 'workflow step failed; it is retried on the next wake-up or sweep'))
      .finally(() => {
        if (running.get(workflowId) === next) running.delete(workflowId);
      });
    running.set(workflowId, next);
    return next;
  }

  async function sweep(olderThanMs: number): Promise<void> {
    const before = new Date(Date.now() - olderThanMs).toISOString();
    const open = await options.store.workflows.find({ phase: 'open', updatedAt: { $lte: before } }, { sort: { updatedAt: 1 }, limit: 500 });
    // Workflow executions claimed by an engine that died before it stored their state.
    const claimed = await options.store.executions.find({ runnerType: { $in: [...workflowRunnerTypes] }, status: { $in: ['requested', 'scheduled', 'running'] } }, { limit: 500 });
    const ids = new Set([...open.map((record) => record.id), ...claimed.filter((execution) => execution.createdAt <= before).map((execution) => execution.id)]);
    await Promise.all([...ids].map((workflowId) => advance(workflowId)));
  }

  async function fireTimers(): Promise<void> {
    const due = await options.store.workflows.find({ nextTimerAt: { $lte: Date.now() } }, { limit: 100 });
    await Promise.all(due.map((record) => advance(record.id)));
  }

  const consumer: Consumer = await options.bus.consume('workflows', async (message) => advance(message.workflowId), {
    prefetch: options.concurrency ?? 20,
  });
  // Everything open is this engine's to look at once: what another engine, or this process before
  // a restart, left half done. Two engines doing so at once race harmlessly (compare-and-set).
  await sweep(0).catch((error: unknown) => logger.warn({ err: error }, 'recovery sweep failed; the periodic sweep retries'));

  let sweeping = false;
  const guarded = (work: () => Promise<void>) => (): void => {
    if (sweeping || stopped) return;
    sweeping = true;
    work()
      .catch((error: unknown) => logger.warn({ err: error }, 'workflow sweep failed; retrying'))
      .finally(() => {
        sweeping = false;
      });
  };
  const sweepMs = options.sweepMs ?? 15_000;
  const sweeper = setInterval(guarded(() => sweep(sweepMs)), sweepMs);
  const timers = setInterval(guarded(fireTimers), options.timerPollMs ?? 500);
  sweeper.unref();
  timers.unref();
  logger.info({ engine: id }, 'workflow engine started');

  return {
    id,
    advance,
    async stop() {
      stopped = true;
      clearInterval(sweeper);
      clearInterval(timers);
      await consumer.cancel();
      await Promise.allSettled([...running.values()]);
    },
  };
}
