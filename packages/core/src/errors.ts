/**
 * One error base for all of Packrun. `code` is a stable public contract (documented in
 * docs/errors.md, checked by a test); `hint` tells the user what to do next.
 *
 * User errors (bad pack, bad parameter, bad request) are shown plainly without a stack trace;
 * anything else is unexpected and is logged with its stack.
 */
export interface PackrunErrorOptions {
  hint?: string;
  /** Structured context: the file, field or parameter the error is about. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** false for internal failures that deserve a stack trace in the logs. */
  userError?: boolean;
}

export class PackrunError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;
  readonly userError: boolean;

  constructor(code: string, message: string, options: PackrunErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PackrunError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
    this.userError = options.userError ?? true;
  }

  toFailure(): Failure {
    return { type: this.code, message: this.message, details: this.details };
  }
}

/** The serialisable shape of a failure that crosses a process boundary. Never a pickled object. */
export interface Failure {
  type: string;
  message: string;
  details?: Record<string, unknown>;
}

export function isPackrunError(value: unknown): value is PackrunError {
  return value instanceof PackrunError;
}

/** Turns anything thrown into a Failure without losing the message. */
export function toFailure(error: unknown): Failure {
  if (error instanceof PackrunError) return error.toFailure();
  if (error instanceof Error) return { type: error.name || 'Error', message: error.message };
  return { type: 'Error', message: String(error) };
}
