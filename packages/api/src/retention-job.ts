import { applyRetention, type Logger, type RetentionPolicy, type Store } from '@packrun/core';

export interface RetentionJobOptions {
  store: Store;
  policy: RetentionPolicy;
  intervalMs: number;
  logger: Logger;
}

export interface RetentionJob {
  /** Stops the schedule and waits for a pass under way to end. */
  stop(): Promise<void>;
}

/** The first pass waits this long (or one interval, if shorter), so a start is never slowed by a purge. */
const firstPassAfterMs = 60_000;

/**
 * Applies the retention policy (PACKRUN_RETENTION_*) in the API process, one pass at a time:
 * applyRetention removes in bounded batches and yields between them, so requests and heartbeats
 * keep being served during a large pass. A failed pass is logged and tried again next interval.
 */
export function startRetentionJob(options: RetentionJobOptions): RetentionJob {
  const logger = options.logger.child({ component: 'retention' });
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const pass = async (): Promise<void> => {
    try {
      const report = await applyRetention(options.store, options.policy);
      if (report.executions + report.triggerInstances + report.ruleEnforcements > 0) logger.info(report, 'records past their retention removed');
    } catch (error) {
      logger.warn({ err: error }, 'retention pass failed; trying again at the next one');
    }
  };
  const schedule = (afterMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(() => {
        running = undefined;
        schedule(options.intervalMs);
      });
    }, afterMs);
    timer.unref();
  };
  schedule(Math.min(firstPassAfterMs, options.intervalMs));

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
