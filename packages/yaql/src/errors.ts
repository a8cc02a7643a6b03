/**
 * Every failure of an expression, from its syntax to a limit it exceeded, is a YaqlError. `kind`
 * says which sort; `offset` is where in the source it happened, turned into a line and column by
 * `locate` once the source is known.
 */
export type YaqlErrorKind =
  /** The source is not valid YAQL (a character no token starts with, a misplaced operator). */
  | 'syntax'
  /** No function or method of that name exists (`Unknown function "foo"`). */
  | 'name'
  /** A function, method or operator exists but not for the values given (`'a' + 1`). */
  | 'type'
  /** A dict has no such key (`$.a.missing`), an index is out of range. */
  | 'lookup'
  /** A value is wrong for the operation: `int('x')`, division by zero, `first()` of nothing, a failed assert. */
  | 'value'
  /** The expression reached something expressions may not use (a function or a host object in the data). */
  | 'unsafe'
  /** The expression exceeded one of the engine's limits (work, time, size, nesting). */
  | 'limit'
  /** A function registered by the embedder failed. */
  | 'call';

export class YaqlError extends Error {
  readonly kind: YaqlErrorKind;
  /** The message without its position. */
  readonly detail: string;
  /** The limit exceeded, for kind `limit` (e.g. `maxSteps`). */
  readonly limit: string | undefined;
  /** The missing key or index, for kind `lookup`. */
  readonly key: unknown;
  offset: number | undefined;
  line: number | undefined;
  column: number | undefined;

  constructor(kind: YaqlErrorKind, detail: string, options: { offset?: number; limit?: string; key?: unknown; cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'YaqlError';
    this.kind = kind;
    this.detail = detail;
    this.limit = options.limit;
    this.key = options.key;
    this.offset = options.offset;
    this.line = undefined;
    this.column = undefined;
  }

  /** Sets the line and column from the offset (once), and appends them to the message. */
  locate(source: string): this {
    if (this.offset === undefined || this.line !== undefined) return this;
    let line = 1;
    let lineStart = 0;
    for (let index = source.indexOf('\n'); index !== -1 && index < this.offset; index = source.indexOf('\n', index + 1)) {
      line += 1;
      lineStart = index + 1;
    }
    this.line = line;
    this.column = this.offset - lineStart + 1;
    this.message = `${this.detail} (position ${this.offset}, line ${line}, column ${this.column})`;
    return this;
  }
}

/** Sets an error's offset unless an inner step already set a more precise one. */
export function atOffset(error: unknown, offset: number): unknown {
  if (error instanceof YaqlError && error.offset === undefined) error.offset = offset;
  return error;
}
