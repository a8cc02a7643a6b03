import type { CompareOperator, Expression, FilterCall, KeywordArgument } from './ast.ts';
import { TokenStream } from './token-stream.ts';

/**
 * Jinja's expression grammar, with Jinja's operator precedence (`or` < `and` < `not` <
 * comparisons < `+ -` < `~` < `* / // %` < `**` < unary, then attribute, item, call, filter and
 * test). Filters and tests are resolved against the registry here, so an unknown one is a syntax
 * error, as in Jinja.
 */

const compareOperators = new Set(['==', '!=', '<', '<=', '>', '>=']);
const testArgumentStarts = new Set(['name', 'string', 'integer', 'float']);

export class ExpressionParser extends TokenStream {
  parseWholeExpression(): Expression {
    const expression = this.parseTuple(true, []);
    if (!this.is('eof')) throw this.unexpected();
    return expression;
  }

  /** An expression, or several separated by commas as a tuple (`{{ a, b }}`, `{% set a, b = 1, 2 %}`). */
  protected parseTuple(withCondition: boolean, extraEnds: readonly string[]): Expression {
    const start = this.current.offset;
    const first = this.parseExpressionNode(withCondition);
    if (!this.isOperator(',')) return first;
    const items = [first];
    while (this.isOperator(',')) {
      this.advance();
      if (this.isTupleEnd(extraEnds)) break;
      items.push(this.parseExpressionNode(withCondition));
    }
    return { type: 'tuple', items, start, end: this.previousEnd() };
  }

  private isTupleEnd(extraEnds: readonly string[]): boolean {
    const token = this.current;
    if (token.type === 'variable_end' || token.type === 'block_end' || token.type === 'eof') return true;
    if (token.type === 'operator' && token.value === ')') return true;
    return token.type === 'name' && extraEnds.includes(token.value);
  }

  protected parseExpressionNode(withCondition: boolean): Expression {
    this.enter();
    const expression = withCondition ? this.parseCondition() : this.parseOr();
    this.leave();
    return expression;
  }

  private parseCondition(): Expression {
    const start = this.current.offset;
    let expression = this.parseOr();
    while (this.isName('if')) {
      this.advance();
      const test = this.parseOr();
      let otherwise: Expression | undefined;
      if (this.isName('else')) {
        this.advance();
        otherwise = this.parseExpressionNode(true);
      }
      expression = { type: 'condition', test, then: expression, otherwise, start, end: this.previousEnd() };
    }
    return expression;
  }

  private parseOr(): Expression {
    const start = this.current.offset;
    let left = this.parseAnd();
    while (this.isName('or')) {
      this.advance();
      left = { type: 'or', left, right: this.parseAnd(), start, end: this.previousEnd() };
    }
    return left;
  }

  private parseAnd(): Expression {
    const start = this.current.offset;
    let left = this.parseNot();
    while (this.isName('and')) {
      this.advance();
      left = { type: 'and', left, right: this.parseNot(), start, end: this.previousEnd() };
    }
    return left;
  }

  private parseNot(): Expression {
    if (!this.isName('not')) return this.parseCompare();
    const start = this.current.offset;
    this.advance();
    this.enter();
    const operand = this.parseNot();
    this.leave();
    return { type: 'not', operand, start, end: this.previousEnd() };
  }

  private parseCompare(): Expression {
    const start = this.current.offset;
    const first = this.parseAdditive();
    const rest: { operator: CompareOperator; operand: Expression }[] = [];
    for (;;) {
      const token = this.current;
      let operator: CompareOperator;
      if (token.type === 'operator' && compareOperators.has(token.value)) {
        operator = token.value as CompareOperator;
        this.advance();
      } else if (this.isName('in')) {
        operator = 'in';
        this.advance();
      } else if (this.isName('not') && this.peek(1).type === 'name' && this.peek(1).value === 'in') {
        operator = 'not in';
        this.advance();
        this.advance();
      } else {
        break;
      }
      rest.push({ operator, operand: this.parseAdditive() });
    }
    return rest.length === 0 ? first : { type: 'compare', first, rest, start, end: this.previousEnd() };
  }

  private parseAdditive(): Expression {
    const start = this.current.offset;
    let left = this.parseConcat();
    while (this.isOperator('+') || this.isOperator('-')) {
      const operator = this.advance().value as '+' | '-';
      left = { type: 'binary', operator, left, right: this.parseConcat(), start, end: this.previousEnd() };
    }
    return left;
  }

  private parseConcat(): Expression {
    const start = this.current.offset;
    let left = this.parseMultiplicative();
    while (this.isOperator('~')) {
      this.advance();
      left = { type: 'binary', operator: '~', left, right: this.parseMultiplicative(), start, end: this.previousEnd() };
    }
    return left;
  }

  private parseMultiplicative(): Expression {
    const start = this.current.offset;
    let left = this.parsePower();
    while (this.isOperator('*') || this.isOperator('/') || this.isOperator('//') || this.isOperator('%')) {
      const operator = this.advance().value as '*' | '/' | '//' | '%';
      left = { type: 'binary', operator, left, right: this.parsePower(), start, end: this.previousEnd() };
    }
    return left;
  }

  /** Jinja's `**` groups from the left: `2 ** 3 ** 2` is 64. */
  private parsePower(): Expression {
    const start = this.current.offset;
    let left = this.parseUnary(true);
    while (this.isOperator('**')) {
      this.advance();
      left = { type: 'binary', operator: '**', left, right: this.parseUnary(true), start, end: this.previousEnd() };
    }
    return left;
  }

  private parseUnary(withFilters: boolean): Expression {
    const start = this.current.offset;
    let node: Expression;
    if (this.isOperator('-') || this.isOperator('+')) {
      const type = this.advance().value === '-' ? 'negative' : 'positive';
      this.enter();
      const operand = this.parseUnary(false);
      this.leave();
      node = { type, operand, start, end: this.previousEnd() };
    } else {
      node = this.parsePrimary();
    }
    node = this.parsePostfix(node);
    return withFilters ? this.parseFiltersAndTests(node) : node;
  }

  private parsePrimary(): Expression {
    const token = this.current;
    const start = token.offset;
    switch (token.type) {
      case 'name': {
        this.advance();
        const constant = constantNames[token.value];
        if (constant !== undefined) return { type: 'const', value: constant.value, start, end: this.previousEnd() };
        return { type: 'name', name: token.value, start, end: this.previousEnd() };
      }
      case 'string': {
        let value = '';
        while (this.current.type === 'string') value += this.advance().value as string;
        return { type: 'const', value, start, end: this.previousEnd() };
      }
      case 'integer':
      case 'float':
        this.advance();
        return { type: 'const', value: token.value, start, end: this.previousEnd() };
      case 'operator':
        if (token.value === '(') return this.parseParenthesised();
        if (token.value === '[') return this.parseList();
        if (token.value === '{') return this.parseDict();
        break;
      default:
        break;
    }
    throw this.unexpected();
  }

  private parseParenthesised(): Expression {
    const start = this.advance().offset;
    this.enter();
    let node: Expression;
    if (this.isOperator(')')) {
      node = { type: 'tuple', items: [], start, end: start };
    } else {
      node = this.parseTuple(true, []);
    }
    this.expectOperator(')');
    this.leave();
    // `(a, b)` is a tuple; `(a)` is only grouping, but its span includes the parentheses.
    return node.type === 'tuple' ? { ...node, start, end: this.previousEnd() } : node;
  }

  private parseList(): Expression {
    const start = this.advance().offset;
    this.enter();
    const items: Expression[] = [];
    while (!this.isOperator(']')) {
      if (items.length > 0) {
        this.expectOperator(',');
        if (this.isOperator(']')) break;
      }
      items.push(this.parseExpressionNode(true));
    }
    this.expectOperator(']');
    this.leave();
    return { type: 'list', items, start, end: this.previousEnd() };
  }

  private parseDict(): Expression {
    const start = this.advance().offset;
    this.enter();
    const entries: { key: Expression; value: Expression }[] = [];
    while (!this.isOperator('}')) {
      if (entries.length > 0) {
        this.expectOperator(',');
        if (this.isOperator('}')) break;
      }
      const key = this.parseExpressionNode(true);
      this.expectOperator(':');
      entries.push({ key, value: this.parseExpressionNode(true) });
    }
    this.expectOperator('}');
    this.leave();
    return { type: 'dict', entries, start, end: this.previousEnd() };
  }

  /** `.name`, `.0`, `[key]`, `[a:b:c]` and `(args)` after a primary expression. */
  private parsePostfix(node: Expression): Expression {
    let result = node;
    const start = node.start;
    for (;;) {
      if (this.isOperator('.')) {
        this.advance();
        const token = this.current;
        if (token.type === 'name') {
          this.advance();
          result = { type: 'getattr', object: result, name: token.value, start, end: this.previousEnd() };
        } else if (token.type === 'integer') {
          this.advance();
          const key: Expression = { type: 'const', value: token.value, start: token.offset, end: this.previousEnd() };
          result = { type: 'getitem', object: result, key, start, end: this.previousEnd() };
        } else {
          throw this.error('expected a name or a number after "."', token.offset);
        }
      } else if (this.isOperator('[')) {
        this.advance();
        this.enter();
        result = this.parseSubscript(result, start);
        this.leave();
      } else if (this.isOperator('(')) {
        this.advance();
        this.enter();
        const { args, keywords } = this.parseCallArguments();
        this.leave();
        result = { type: 'call', callee: result, args, keywords, start, end: this.previousEnd() };
      } else {
        return result;
      }
    }
  }

  private parseSubscript(object: Expression, start: number): Expression {
    const parts: (Expression | undefined)[] = [];
    let isSlice = false;
    for (;;) {
      if (this.isOperator(':')) {
        parts.push(undefined);
      } else if (this.isOperator(']')) {
        parts.push(undefined);
        break;
      } else {
        parts.push(this.parseExpressionNode(true));
        if (this.isOperator(']')) break;
      }
      if (!this.isOperator(':') || parts.length === 3) break;
      this.advance();
      isSlice = true;
    }
    this.expectOperator(']');
    const end = this.previousEnd();
    if (!isSlice) {
      const key = parts[0];
      if (key === undefined) throw this.error('expected an index or a key', start);
      return { type: 'getitem', object, key, start, end };
    }
    return { type: 'slice', object, from: parts[0], to: parts[1], step: parts[2], start, end };
  }

  /** After `(`: positional arguments, then `name=value` ones, up to and including `)`. */
  private parseCallArguments(): { args: Expression[]; keywords: KeywordArgument[] } {
    const args: Expression[] = [];
    const keywords: KeywordArgument[] = [];
    while (!this.isOperator(')')) {
      if (args.length + keywords.length > 0) {
        this.expectOperator(',');
        if (this.isOperator(')')) break;
      }
      if (this.isOperator('*') || this.isOperator('**')) throw this.error('*args and **kwargs are not supported', this.current.offset);
      if (this.current.type === 'name' && this.peek(1).type === 'operator' && this.peek(1).value === '=') {
        const name = this.advance().value as string;
        this.advance();
        if (keywords.some((keyword) => keyword.name === name)) throw this.error(`the keyword argument "${name}" is given twice`, this.current.offset);
        keywords.push({ name, value: this.parseExpressionNode(true) });
      } else {
        if (keywords.length > 0) throw this.error('a positional argument follows a keyword argument', this.current.offset);
        args.push(this.parseExpressionNode(true));
      }
    }
    this.expectOperator(')');
    return { args, keywords };
  }

  private parseFiltersAndTests(node: Expression): Expression {
    let result = node;
    for (;;) {
      if (this.isOperator('|')) {
        this.advance();
        const call = this.parseFilterCall();
        result = { type: 'filter', value: result, call, start: node.start, end: this.previousEnd() };
      } else if (this.isName('is')) {
        this.advance();
        result = this.parseTest(result);
      } else {
        return result;
      }
    }
  }

  /** `| a(x) | b` after `{% filter` or `{% set name`: the leading bar only in the latter. */
  protected parseFilterChain(leadingBar: boolean): FilterCall[] {
    const calls: FilterCall[] = [];
    if (leadingBar) this.expectOperator('|');
    calls.push(this.parseFilterCall());
    while (this.isOperator('|')) {
      this.advance();
      calls.push(this.parseFilterCall());
    }
    return calls;
  }

  private parseFilterCall(): FilterCall {
    const { name, offset } = this.parseDottedName();
    const filter = this.registry.filters.get(name);
    if (!filter) throw this.error(`no filter named "${name}"`, offset);
    let args: Expression[] = [];
    let keywords: KeywordArgument[] = [];
    if (this.isOperator('(')) {
      this.advance();
      this.enter();
      ({ args, keywords } = this.parseCallArguments());
      this.leave();
    }
    return { name, filter, args, keywords, start: offset };
  }

  private parseTest(value: Expression): Expression {
    let negated = false;
    if (this.isName('not')) {
      this.advance();
      negated = true;
    }
    const { name, offset } = this.parseDottedName();
    const test = this.registry.tests.get(name);
    if (!test) throw this.error(`no test named "${name}"`, offset);
    let args: Expression[] = [];
    let keywords: KeywordArgument[] = [];
    const token = this.current;
    if (this.isOperator('(')) {
      this.advance();
      this.enter();
      ({ args, keywords } = this.parseCallArguments());
      this.leave();
    } else if (
      (testArgumentStarts.has(token.type) || (token.type === 'operator' && (token.value === '[' || token.value === '{'))) &&
      !(token.type === 'name' && ['else', 'or', 'and', 'is'].includes(token.value))
    ) {
      // Jinja takes one argument without parentheses: `x is divisibleby 3`, `x is sameas false`.
      args = [this.parsePostfix(this.parsePrimary())];
    }
    return { type: 'test', value, name, test, args, keywords, negated, start: value.start, end: this.previousEnd() };
  }

  private parseDottedName(): { name: string; offset: number } {
    const first = this.expectName();
    let name = first.value;
    while (this.isOperator('.') && this.peek(1).type === 'name') {
      this.advance();
      name += `.${this.advance().value as string}`;
    }
    return { name, offset: first.offset };
  }
}

const constantNames: Record<string, { value: boolean | null } | undefined> = Object.assign(Object.create(null) as object, {
  true: { value: true },
  True: { value: true },
  false: { value: false },
  False: { value: false },
  none: { value: null },
  None: { value: null },
});
