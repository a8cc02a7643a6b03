import os from 'node:os';
import { PackrunError, builtinWorkflowRunner, newId, nowIso, toFailure, type ActionOutcome, type Bus, type ExecutionRecord, type ExecutionStatus, type Logger, type Store } from '@packrun/core';
import type { StoreLedger } from '@packrun/action-runner';
import { publishExecutionUpdate } from '@packrun/action-runner';

/** A stage of a built-in operation, as st2 names the workflow task that does the same work. */
export interface BuiltinTask {
  /** st2's task name (Orquesta) or step name (action-chain). */
  name: string;
  /** The action st2's task runs. */
  action: string;
}

export interface BuiltinProgress {
  /** The operation's execution. */
  executionId: string;
  /** One line of the operation's output. */
  emit(line: string): void;
  /**
   * The operation moves on to `task`: the current task's child execution ends succeeded and one
   * for `task` starts (nothing when it is the current task already). st2's CLI prints these
   * children as the operation's progress.
   */
  task(task: BuiltinTask): void;
}

export type BuiltinWork = (progress: BuiltinProgress) => Promise<Record<string, unknown>>;

/**
 * Runs Packrun's own operations (pack install and remove) as executions in the API process, so
 * they are listed, streamed and kept like any action's, with the progress lines as output.
 * They go through the same ledger as runners, under this process's runner id.
 */
export function createBuiltinExecutions(options: { store: Store; bus: Bus; ledger: StoreLedger; logger: Logger }) {
  const { store, bus, ledger, logger } = options;
  const runnerId = `api-${os.hostname()}-${process.pid}`;
  const running = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();

  const beat = async (): Promise<void> => {
    await ledger.heartbeat({ id: runnerId, host: os.hostname(), pid: process.pid, concurrency: 1, running: [...running] });
  };
  // A periodic beat may still be in flight when the API closes the store; a missed beat is
  // harmless (the next one follows), an unhandled rejection would take the process down.
  const timer = setInterval(() => {
    beat().catch((error: unknown) => logger.debug({ err: error }, 'built-in executions heartbeat missed'));
  }, 1000);
  timer.unref();

  /**
   * The stage children of one operation, written in order: each one scheduled, running, then
   * ended, under the parent's `children`, on the stream like any execution's update, and ended
   * before the parent is, so that a client following the parent sees every stage first.
   */
  function taskChildren(record: ExecutionRecord) {
    const runner = builtinWorkflowRunner(record.action);
    let writes: Promise<unknown> = Promise.resolve();
    let current: { name: string; id: string } | undefined;

    const change = async (id: string, status: ExecutionStatus, set: Partial<ExecutionRecord> = {}): Promise<void> => {
      const updated = await store.executions.updateOne({ id }, { set: { ...set, status }, push: { log: { status, at: nowIso(), by: runnerId } } });
      if (updated) publishExecutionUpdate(bus, logger, updated);
    };
    const end = async (id: string, status: ExecutionStatus): Promise<void> => {
      const record = await store.executions.get(id);
      const endedAt = nowIso();
      const durationMs = record?.startedAt === undefined ? 0 : Date.parse(endedAt) - Date.parse(record.startedAt);
      running.delete(id);
      await change(id, status, { endedAt, durationMs });
    };
    const begin = async (task: BuiltinTask, id: string): Promise<void> => {
      const at = nowIso();
      const context: Record<string, unknown> = {
        user: record.user,
        parent: { execution_id: record.id },
        ...(runner === 'action-chain' ? { chain: { name: task.name } } : { orquesta: { task_name: task.name, task_id: task.name } }),
      };
      const child: ExecutionRecord = {
        id,
        action: task.action,
        pack: 'packs',
        runnerType: 'builtin',
        parameters: {},
        status: 'scheduled',
        log: [{ status: 'requested', at, by: runnerId }, { status: 'scheduled', at, by: runnerId }],
        createdAt: at,
        scheduledAt: at,
        context,
        ...(record.user === undefined ? {} : { user: record.user }),
        parent: record.id,
        runnerId,
      };
      running.add(id);
      await store.executions.insert(child);
      publishExecutionUpdate(bus, logger, child);
      await store.executions.updateOne({ id: record.id }, { push: { children: id } });
      await change(id, 'running', { startedAt: nowIso() });
    };
    const queue = (write: () => Promise<void>): void => {
      writes = writes.then(write).catch((error: unknown) => logger.warn({ err: error, executionId: record.id }, 'a stage of a built-in execution was not recorded'));
    };
    return {
      task(task: BuiltinTask): void {
        if (current?.name === task.name) return;
        const previous = current;
        current = { name: task.name, id: newId() };
        const next = current;
        queue(async () => {
          if (previous) await end(previous.id, 'succeeded');
          await begin(task, next.id);
        });
      },
      /** Ends the current task as the operation ended, once every stage write is done. */
      async finish(status: ExecutionStatus): Promise<void> {
        const last = current;
        current = undefined;
        if (last) queue(() => end(last.id, status));
        await writes;
      },
    };
  }

  async function run(record: ExecutionRecord, work: BuiltinWork): Promise<void> {
    await beat();
    const claim = await ledger.claim({ executionId: record.id, runnerId, redelivered: false });
    if (claim.decision !== 'run') return;
    running.add(record.id);
    const started = Date.now();
    let seq = 0;
    const lines: string[] = [];
    const emit = (line: string): void => {
      lines.push(line);
      void bus.publish('execution-output', { executionId: record.id, stream: 'stdout', seq: seq++, data: `${line}\n` }).catch(() => undefined);
    };
    const tasks = taskChildren(record);
    try {
      const result = await work({ executionId: record.id, emit, task: (task) => tasks.task(task) });
      await tasks.finish('succeeded');
      const outcome: ActionOutcome = { status: 'succeeded', result: { ...result, stdout: lines.join('\n') }, durationMs: Date.now() - started };
      await ledger.complete({ executionId: record.id, runnerId, outcome });
    } catch (error) {
      await tasks.finish('failed');
      const failure = toFailure(error);
      emit(`error [${failure.type}]: ${failure.message}`);
      if (error instanceof PackrunError && error.hint) emit(`hint: ${error.hint}`);
      const outcome: ActionOutcome = {
        status: 'failed',
        result: { error: failure.message, stdout: lines.join('\n') },
        durationMs: Date.now() - started,
      };
      await ledger.complete({ executionId: record.id, runnerId, outcome, error: failure });
    } finally {
      running.delete(record.id);
    }
  }

  return {
    /** Stores the execution and starts it; operations run one at a time, in order. */
    async start(action: string, parameters: Record<string, unknown>, user: string, work: BuiltinWork): Promise<ExecutionRecord> {
      const createdAt = nowIso();
      const record: ExecutionRecord = {
        id: newId(),
        action,
        pack: 'packs',
        runnerType: 'builtin',
        parameters,
        status: 'requested',
        log: [{ status: 'requested', at: createdAt, by: user }],
        createdAt,
        context: { user },
        user,
        ...(builtinWorkflowRunner(action) ? { children: [] } : {}),
      };
      await store.executions.insert(record);
      publishExecutionUpdate(bus, logger, record);
      const next = chain.then(() => run(record, work));
      chain = next.catch((error: unknown) => logger.error({ err: error, executionId: record.id }, 'built-in execution failed'));
      return record;
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}

export type BuiltinExecutions = ReturnType<typeof createBuiltinExecutions>;
