import type { ActionOutcome, JobExit } from '@packrun/core';
import { exitCodeOf, stoppedError } from './wrapper-outcome.ts';

/** StackStorm strips the trailing newline a shell leaves on its output. */
export function stripShellChars(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

/** Output that is JSON is handed on parsed, as StackStorm's shell runners do for stdout and stderr. */
export function parsedIfJson(text: string): unknown {
  const trimmed = text.trim();
  if (!/^[[{"]|^-?\d|^(true|false|null)$/.test(trimmed)) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

/** The shell runners' result, `{succeeded, failed, return_code, stdout, stderr}` plus `error`. */
export function shellOutcome(exit: JobExit, timeoutSeconds: number): Omit<ActionOutcome, 'durationMs'> {
  const returnCode = exitCodeOf(exit);
  const stopped = stoppedError(exit, timeoutSeconds);
  const succeeded = !stopped && returnCode === 0;
  const result: Record<string, unknown> = {
    succeeded,
    failed: !succeeded,
    return_code: returnCode,
    stdout: parsedIfJson(stripShellChars(exit.stdout)),
    stderr: parsedIfJson(stripShellChars(exit.stderr)),
  };
  if (stopped) result['error'] = stopped.error;
  return {
    status: stopped?.status ?? (succeeded ? 'succeeded' : 'failed'),
    result,
    ...(exit.stopReason ? { stopReason: exit.stopReason } : {}),
    ...(exit.truncated.stdout || exit.truncated.stderr ? { truncated: exit.truncated } : {}),
    // Stripped output is a prefix of what was captured, which the store fits the runs to; output parsed as JSON drops them there.
    outputRuns: exit.outputRuns,
  };
}
