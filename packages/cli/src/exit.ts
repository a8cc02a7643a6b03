/** Thrown by a command that has already printed its outcome and wants a specific exit code. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * The packrun command's exit statuses, one table for every command (docs/errors.md, "Exit
 * statuses"): scripts branch on the kind of outcome without parsing messages.
 */
export const exitCodes = {
  /** Done: the command did what was asked (an execution it waited for succeeded). */
  ok: 0,
  /** What was run failed: an execution ended other than succeeded, an install failed, `doctor` found a required sandbox layer missing. */
  failed: 1,
  /** Refused: bad arguments or input, something not found, not allowed, in conflict (`error [CODE]` on stderr says which). Running it again unchanged fails again. */
  refused: 2,
  /** Not available now: no server answers, the store is held by another process, the server is out of space or overloaded. Running it again later may work. */
  unavailable: 3,
  /** A bug in Packrun: an unexpected error, printed with its stack. */
  internal: 70,
} as const;

/** Error codes meaning "not now" rather than "not this": the same command may work later. */
const unavailableCodes = new Set(['API_UNREACHABLE', 'STORE_LOCKED', 'STORE_FULL', 'STORE_WRITE_FAILED', 'PACK_LOCKED', 'SERVICE_NEEDS_API']);

/** The exit status for a Packrun error the CLI reports: `unavailable` for the not-now codes and for server answers 502-504 and 507 (503 is overloaded or a store outage), `refused` otherwise. */
export function exitCodeForError(code: string, httpStatus: unknown): number {
  if (unavailableCodes.has(code)) return exitCodes.unavailable;
  if (typeof httpStatus === 'number' && [502, 503, 504, 507].includes(httpStatus)) return exitCodes.unavailable;
  return exitCodes.refused;
}
