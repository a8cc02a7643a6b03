import os from 'node:os';
import { PackrunError, newId, nowIso, toFailure, type ActionOutcome, type Bus, type ExecutionRecord, type Logger, type Store } from '@packrun/core';
import type { StoreLedger } from '@packrun/action-runner';
import { publishExecutionUpdate } from '@packrun/action-runner';

export type BuiltinWork = (emit: (line: string) => void) => Promise<Record<string, unknown>>;

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
    try {
      const result = await work(emit);
      const outcome: ActionOutcome = { status: 'succeeded', result: { ...result, stdout: lines.join('\n') }, durationMs: Date.now() - started };
      await ledger.complete({ executionId: record.id, runnerId, outcome });
    } catch (error) {
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
