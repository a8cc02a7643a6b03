import os from 'node:os';
import type { ActionOutcome, JobExit } from '@packrun/core';
import type { WrapperReport } from './runner.ts';

type Outcome = Omit<ActionOutcome, 'durationMs'>;

/** A process killed by a signal gets the shell's convention, negated as StackStorm reports it (-9). */
export function exitCodeOf(exit: JobExit): number {
  if (exit.exitCode !== null) return exit.exitCode;
  const number = exit.exitSignal ? os.constants.signals[exit.exitSignal] : undefined;
  return number === undefined ? -1 : -number;
}

export function stoppedError(exit: JobExit, timeoutSeconds: number): { status: Outcome['status']; error: string } | undefined {
  switch (exit.stopReason) {
    case 'timeout':
      return { status: 'timeout', error: `Action failed to complete in ${timeoutSeconds} seconds` };
    case 'canceled':
      return { status: 'canceled', error: 'Action was canceled' };
    case 'out_of_memory':
      return { status: 'failed', error: 'Action was killed: out of memory' };
    case 'pids_limit':
      return { status: 'failed', error: 'Action was killed: it reached its process limit' };
    case 'output_limit':
      return { status: 'failed', error: 'Action was killed: output limit reached' };
    default:
      if (exit.protocolError) return { status: 'failed', error: `Action broke the control protocol: ${exit.protocolError}` };
      return undefined;
  }
}

/**
 * The python-script and node-script result, `{result, stdout, stderr, exit_code}` plus `error`.
 * Only the control channel says what the result is; stdout is the user's and nothing in it counts.
 * An explicit success flag decides when the process exited 0; otherwise exit 0 is success.
 */
export function wrapperOutcome(exit: JobExit, report: WrapperReport, timeoutSeconds: number): Outcome {
  const exitCode = exitCodeOf(exit);
  const result: Record<string, unknown> = {
    result: report.result?.result ?? null,
    stdout: exit.stdout,
    stderr: exit.stderr,
    exit_code: exitCode,
  };
  const finish = (status: Outcome['status'], error?: string): Outcome => {
    if (error !== undefined) result['error'] = error;
    if (report.error?.traceback) result['traceback'] = report.error.traceback;
    return {
      status,
      result,
      ...(exit.stopReason ? { stopReason: exit.stopReason } : {}),
      ...(exit.truncated.stdout || exit.truncated.stderr ? { truncated: exit.truncated } : {}),
      outputRuns: exit.outputRuns,
    };
  };

  const stopped = stoppedError(exit, timeoutSeconds);
  if (stopped) return finish(stopped.status, stopped.error);
  if (report.violation) return finish('failed', `Action broke the control protocol: ${report.violation}`);
  if (report.error) return finish('failed', `${report.error.type}: ${report.error.message}`);
  if (!report.result) {
    return finish('failed', exitCode === 0 ? 'Action exited without reporting a result' : `Action exited with code ${exitCode}`);
  }
  if (exitCode !== 0) return finish('failed', `Action exited with code ${exitCode}`);
  return report.result.success === false ? finish('failed') : finish('succeeded');
}
