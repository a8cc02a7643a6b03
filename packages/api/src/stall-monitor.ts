import type { Logger } from '@packrun/core';

export interface StallMonitor {
  /** When the process last woke from a stall (ms since the epoch); its start before any. */
  awakeSince(): number;
  stop(): void;
}

const tickMs = 250;

/**
 * Notices when this process's event loop did not run for longer than `thresholdMs` (a long
 * synchronous task, the process stopped by SIGSTOP or a debugger, a VM paused). Meanwhile no
 * heartbeat could be read, so the ledger must not judge runners by them until it has been awake
 * for a staleness window again (StoreLedgerOptions.awakeSince).
 */
export function startStallMonitor(options: { thresholdMs: number; logger: Logger }): StallMonitor {
  let awake = Date.now();
  let last = awake;
  const timer = setInterval(() => {
    const at = Date.now();
    const stalledMs = at - last - tickMs;
    last = at;
    if (stalledMs < options.thresholdMs) return;
    awake = at;
    options.logger.warn({ stalledMs }, 'the event loop was stalled; runners get a heartbeat window before any is judged dead');
  }, tickMs);
  timer.unref();
  return {
    awakeSince: () => awake,
    stop: () => clearInterval(timer),
  };
}
