import { TemplateError } from './errors.ts';
import type { Token } from './lexer.ts';
import { limitError } from './limits.ts';
import type { Registry } from './registry.ts';

/**
 * The parser's view of the tokens: where it is, what comes next, what it expects, and how deep
 * its recursion is (bounded by maxNestingDepth, so a template of ten thousand parentheses fails
 * cleanly instead of overflowing the stack).
 */
export class TokenStream {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    protected readonly source: string,
    protected readonly registry: Registry,
    private readonly maxNestingDepth: number,
  ) {}

  protected get current(): Token {
    return this.tokens[this.index]!;
  }

  protected peek(ahead: number): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  protected advance(): Token {
    const token = this.current;
    if (token.type !== 'eof') this.index += 1;
    return token;
  }

  /** Where the last consumed token ends, for expression spans. */
  protected previousEnd(): number {
    const token = this.tokens[this.index - 1];
    if (!token) return 0;
    const next = this.tokens[this.index];
    return tokenEnd(this.source, token, next?.offset ?? this.source.length);
  }

  protected is(type: Token['type']): boolean {
    return this.current.type === type;
  }

  protected isName(value: string): boolean {
    return this.current.type === 'name' && this.current.value === value;
  }

  protected isOperator(value: string): boolean {
    return this.current.type === 'operator' && this.current.value === value;
  }

  protected expect(type: Token['type'], shown: string): Token {
    if (this.current.type !== type) throw this.error(`expected "${shown}", found ${describe(this.current)}`, this.current.offset);
    return this.advance();
  }

  protected expectOperator(value: string): void {
    if (!this.isOperator(value)) throw this.error(`expected "${value}", found ${describe(this.current)}`, this.current.offset);
    this.advance();
  }

  protected expectName(value?: string): { value: string; offset: number } {
    const token = this.current;
    if (token.type !== 'name' || (value !== undefined && token.value !== value)) {
      throw this.error(`expected ${value === undefined ? 'a name' : `"${value}"`}, found ${describe(token)}`, token.offset);
    }
    this.advance();
    return { value: token.value, offset: token.offset };
  }

  protected enter(): void {
    this.depth += 1;
    if (this.depth > this.maxNestingDepth) {
      const error = limitError('maxNestingDepth', 'the nesting of the template', this.maxNestingDepth);
      error.offset = this.current.offset;
      throw error;
    }
  }

  protected leave(): void {
    this.depth -= 1;
  }

  protected unexpected(): TemplateError {
    return this.error(`unexpected ${describe(this.current)}`, this.current.offset);
  }

  protected error(message: string, offset: number): TemplateError {
    return new TemplateError('syntax', message, { offset });
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'eof': return 'the end of the template';
    case 'variable_end': return '"}}"';
    case 'block_end': return '"%}"';
    case 'variable_begin': return '"{{"';
    case 'block_begin': return '"{%"';
    case 'data': return 'text';
    case 'string': return 'a string';
    default: return `"${String(token.value)}"`;
  }
}

/** The end offset of a token: the start of the next one, less the whitespace between. */
function tokenEnd(source: string, token: Token, nextOffset: number): number {
  let end = nextOffset;
  while (end > token.offset + 1 && /\s/.test(source[end - 1]!)) end -= 1;
  return end;
}
