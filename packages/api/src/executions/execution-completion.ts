import type { ExecutionRecord, Logger } from '@packrun/core';

/**
 * What happens once when an execution ends, whichever path ended it (a runner's report, a cancel
 * before it ran, the reaper): each step in turn, each failure logged and the next step still run.
 * The ledger and the execution service call it after the compare-and-set that completed the
 * execution, so it runs exactly once per execution in the process that made the change.
 */
export type CompletionStep = { name: string; run: (record: ExecutionRecord) => Promise<void> };

export function createCompletionHandler(logger: Logger, steps: () => readonly CompletionStep[]): (record: ExecutionRecord) => void {
  return (record) => {
    void (async () => {
      for (const step of steps()) {
        try {
          await step.run(record);
        } catch (error) {
          logger.warn({ err: error, executionId: record.id, step: step.name }, 'after-completion step failed');
        }
      }
    })();
  };
}
