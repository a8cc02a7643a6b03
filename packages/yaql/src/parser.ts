import type { Argument, Expression } from './ast.ts';
import { YaqlError } from './errors.ts';
import type { Token } from './lexer.ts';

/**
 * A precedence-climbing parser for yaql's grammar. Binding strength, weakest first, as yaql's
 * operator table gives it (every binary operator left-associative but `->`):
 *   `->` < `or` < `and` < `not` < comparisons (`= != < > <= >= in`) < `+ -` < `* / mod`
 *   < `=~ !~` < unary `+ -` < indexer `[]` < `.` and `?.`
 * so `not $a = 1` is `not ($a = 1)` and `-$.x` is `-($.x)`. Literals: quoted strings, numbers,
 * `true`/`false`/`null`, bare names (strings), `[...]` lists, `{k => v}` dicts.
 */

const binaryLevels = new Map<string, number>([
  ['->', 1],
  ['or', 2],
  ['and', 3],
  ...['=', '!=', '<', '>', '<=', '>=', 'in'].map((operator): [string, number] => [operator, 5]),
  ['+', 6], ['-', 6],
  ['*', 7], ['/', 7], ['mod', 7],
  ['=~', 8], ['!~', 8],
  ['[', 10],
  ['.', 11], ['?.', 11],
]);
const notLevel = 4;
const unaryLevel = 9;

export function parse(tokens: Token[], source: string, maxNestingDepth: number): Expression {
  return new Parser(tokens, source, maxNestingDepth).parseAll();
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
    private readonly maxNestingDepth: number,
  ) {}

  parseAll(): Expression {
    if (this.peek().type === 'end') throw this.unexpected(this.peek());
    const expression = this.expression(0);
    if (this.peek().type !== 'end') throw this.unexpected(this.peek());
    return expression;
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private next(): Token {
    const token = this.tokens[this.position]!;
    if (token.type !== 'end') this.position += 1;
    return token;
  }

  private unexpected(token: Token): YaqlError {
    if (token.type === 'end') return new YaqlError('syntax', 'Parse error: unexpected end of statement', { offset: token.start });
    return new YaqlError('syntax', `Parse error: unexpected '${this.source.slice(token.start, token.end)}'`, { offset: token.start });
  }

  private expect(value: string): Token {
    const token = this.next();
    if (token.type !== 'punctuation' || token.value !== value) throw this.unexpected(token);
    return token;
  }

  /** An expression whose operators all bind at least as strongly as `minimum`. */
  private expression(minimum: number): Expression {
    this.depth += 1;
    if (this.depth > this.maxNestingDepth) {
      throw new YaqlError('limit', `the nesting of the expression exceeds the expression limit maxNestingDepth (${this.maxNestingDepth})`, {
        offset: this.peek().start,
        limit: 'maxNestingDepth',
      });
    }
    let left = this.prefix();
    while (true) {
      const token = this.peek();
      if (token.type !== 'operator') break;
      const level = binaryLevels.get(token.value);
      if (level === undefined || level < minimum) break;
      this.next();
      left = this.infix(left, token, level);
    }
    this.depth -= 1;
    return left;
  }

  private infix(left: Expression, token: Token, level: number): Expression {
    const operator = token.value as string;
    if (operator === '[') {
      const args = this.arguments(']');
      const end = this.expect(']').end;
      return { type: 'index', object: left, args, start: left.start, end };
    }
    // `->` groups to the right; every other binary operator to the left.
    const right = this.expression(operator === '->' ? level : level + 1);
    if (operator === '.' || operator === '?.') {
      return { type: 'member', receiver: left, member: right, nullSafe: operator === '?.', start: left.start, end: right.end };
    }
    return { type: 'binary', operator, left, right, start: left.start, end: right.end };
  }

  private prefix(): Expression {
    const token = this.next();
    switch (token.type) {
      case 'number':
      case 'string':
      case 'constant':
        return { type: 'constant', value: token.value, start: token.start, end: token.end };
      case 'keyword':
        return { type: 'keyword', name: token.value, start: token.start, end: token.end };
      case 'variable':
        return { type: 'variable', name: token.value, start: token.start, end: token.end };
      case 'function': {
        const args = this.arguments(')');
        const end = this.expect(')').end;
        return { type: 'call', name: token.value, args, start: token.start, end };
      }
      case 'punctuation':
        if (token.value === '(') {
          const expression = this.expression(0);
          const end = this.expect(')').end;
          return { type: 'group', expression, start: token.start, end };
        }
        throw this.unexpected(token);
      case 'operator':
        return this.prefixOperator(token);
      case 'end':
        throw this.unexpected(token);
    }
  }

  private prefixOperator(token: Extract<Token, { type: 'operator' }>): Expression {
    switch (token.value) {
      case '[': {
        const args = this.arguments(']');
        return { type: 'list', args, start: token.start, end: this.expect(']').end };
      }
      case '{': {
        const args = this.arguments('}');
        return { type: 'dict', args, start: token.start, end: this.expect('}').end };
      }
      case '-':
      case '+':
      case 'not': {
        const operand = this.expression(token.value === 'not' ? notLevel : unaryLevel);
        return { type: 'unary', operator: token.value, operand, start: token.start, end: operand.end };
      }
      default:
        throw this.unexpected(token);
    }
  }

  /**
   * Arguments up to `closing`, as yaql's grammar allows them: values separated by commas, any of
   * them left out (`f(, 1)`, `f(1, , 2)`) but not the last, then `key => value` pairs, which
   * nothing positional may follow.
   */
  private arguments(closing: string): Argument[] {
    const args: Argument[] = [];
    const atClosing = (): boolean => this.peek().type === 'punctuation' && this.peek().value === closing;
    if (atClosing()) return args;
    let named = false;
    let sawValue = false;
    while (true) {
      const token = this.peek();
      if (token.type === 'punctuation' && token.value === ',') {
        if (named) throw this.unexpected(token);
        args.push({ type: 'omitted', start: token.start, end: token.start });
        this.next();
        if (atClosing()) throw this.unexpected(this.peek());
        continue;
      }
      const value = this.expression(0);
      const arrow = this.peek();
      if (arrow.type === 'operator' && arrow.value === '=>') {
        // A gap must follow a value before the named arguments start: `f(1, , a => 2)`, never `f(, a => 2)`.
        if (!sawValue && args.some((arg) => arg.type === 'omitted')) throw this.unexpected(arrow);
        this.next();
        const mapped = this.expression(0);
        args.push({ type: 'mapping', key: value, value: mapped, start: value.start, end: mapped.end });
        named = true;
      } else {
        if (named) throw this.unexpected(token);
        args.push(value);
        sawValue = true;
      }
      const separator = this.peek();
      if (separator.type === 'punctuation' && separator.value === ',') {
        this.next();
        if (atClosing()) throw this.unexpected(this.peek());
        continue;
      }
      return args;
    }
  }
}
