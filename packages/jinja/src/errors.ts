/**
 * Every failure of a template, from its syntax to a limit it exceeded, is a TemplateError. `kind`
 * says which sort; `offset` is where in the source it happened, turned into a line and column by
 * `locate` once the source is known.
 */
export type TemplateErrorKind =
  /** The source is not valid template syntax (or uses a tag this engine does not offer). */
  | 'syntax'
  /** A value the template needed is undefined. */
  | 'undefined'
  /** An operation does not apply to the values given (`'a' - 1`, calling a string, a bad argument). */
  | 'type'
  /** The template reached something templates may not use (a function or a host object in the data). */
  | 'unsafe'
  /** The template exceeded one of the engine's limits (work, output, size, nesting). */
  | 'limit'
  /** A filter, test or function failed. */
  | 'call';

export class TemplateError extends Error {
  readonly kind: TemplateErrorKind;
  /** The message without its position. */
  readonly detail: string;
  /** The limit exceeded, for kind `limit` (e.g. `maxSteps`). */
  readonly limit: string | undefined;
  offset: number | undefined;
  line: number | undefined;
  column: number | undefined;

  constructor(kind: TemplateErrorKind, detail: string, options: { offset?: number; limit?: string; cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TemplateError';
    this.kind = kind;
    this.detail = detail;
    this.limit = options.limit;
    this.offset = options.offset;
    this.line = undefined;
    this.column = undefined;
  }

  /** Sets the line and column from the offset (once), and appends them to the message. */
  locate(source: string): this {
    if (this.offset === undefined || this.line !== undefined) return this;
    const { line, column } = lineAndColumn(source, this.offset);
    this.line = line;
    this.column = column;
    this.message = `${this.detail} (line ${line}, column ${column})`;
    return this;
  }
}

/** 1-based line and column of an offset. */
function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = source.indexOf('\n'); index !== -1 && index < offset; index = source.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Sets an error's offset unless an inner step already set a more precise one. */
export function atOffset(error: unknown, offset: number): unknown {
  if (error instanceof TemplateError && error.offset === undefined) error.offset = offset;
  return error;
}
