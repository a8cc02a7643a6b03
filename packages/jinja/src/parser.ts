import type { Expression, Statement, Target } from './ast.ts';
import type { Token } from './lexer.ts';
import { ExpressionParser } from './expression-parser.ts';
import type { Registry } from './registry.ts';

/**
 * A recursive-descent parser for Jinja templates: text, `{{ }}` and the block tags `if`, `for`,
 * `set`, `with` and `filter`. Tags that need a template loader or define code units (`include`,
 * `extends`, `macro`, `call`...) are refused.
 */

const unsupportedTags = new Set(['macro', 'call', 'include', 'import', 'from', 'extends', 'block', 'do', 'break', 'continue', 'autoescape', 'trans', 'endmacro', 'endcall', 'endblock']);

export function parseTemplate(tokens: Token[], source: string, registry: Registry, maxNestingDepth: number): Statement[] {
  return new TemplateParser(tokens, source, registry, maxNestingDepth).parseBody([]).body;
}

/** Parses a bare expression (tokens from tokenizeExpression), as a workflow engine evaluates one. */
export function parseExpression(tokens: Token[], source: string, registry: Registry, maxNestingDepth: number): Expression {
  return new TemplateParser(tokens, source, registry, maxNestingDepth).parseWholeExpression();
}

class TemplateParser extends ExpressionParser {
  /** Statements up to a `{% <end> %}` tag (consumed up to its name) or, with no ends, the template's end. */
  parseBody(ends: readonly string[]): { body: Statement[]; end: string } {
    this.enter();
    const body: Statement[] = [];
    for (;;) {
      const token = this.current;
      if (token.type === 'eof') {
        if (ends.length > 0) throw this.error(`the template ended where {% ${ends.join(' %} or {% ')} %} was expected`, token.offset);
        this.leave();
        return { body, end: '' };
      }
      if (token.type === 'data') {
        body.push({ type: 'text', text: token.value });
        this.advance();
      } else if (token.type === 'variable_begin') {
        this.advance();
        const value = this.parseTuple(true, []);
        this.expect('variable_end', '}}');
        body.push({ type: 'print', value, start: token.offset });
      } else if (token.type === 'block_begin') {
        this.advance();
        const name = this.expectName();
        if (ends.includes(name.value)) {
          this.leave();
          return { body, end: name.value };
        }
        body.push(this.parseTag(name.value, name.offset));
      } else {
        throw this.unexpected();
      }
    }
  }

  private parseTag(name: string, offset: number): Statement {
    switch (name) {
      case 'if':
        return this.parseIf();
      case 'for':
        return this.parseFor(offset);
      case 'set':
        return this.parseSet();
      case 'filter':
        return this.parseFilterBlock();
      case 'with':
        return this.parseWith();
      default:
        if (unsupportedTags.has(name)) throw this.error(`the {% ${name} %} tag is not supported: templates cannot define or load other templates`, offset);
        throw this.error(`unknown tag "${name}"`, offset);
    }
  }

  private parseIf(): Statement {
    const branches: { test: Expression; body: Statement[] }[] = [];
    let test = this.parseTuple(false, []);
    for (;;) {
      this.expect('block_end', '%}');
      const { body, end } = this.parseBody(['elif', 'else', 'endif']);
      branches.push({ test, body });
      if (end !== 'elif') {
        let otherwise: Statement[] | undefined;
        if (end === 'else') {
          this.expect('block_end', '%}');
          otherwise = this.parseBody(['endif']).body;
        }
        this.expect('block_end', '%}');
        return { type: 'if', branches, otherwise };
      }
      test = this.parseTuple(false, []);
    }
  }

  private parseFor(start: number): Statement {
    const target = this.parseTarget(['in']);
    this.expectName('in');
    const iterable = this.parseTuple(false, ['recursive']);
    let condition: Expression | undefined;
    if (this.isName('if')) {
      this.advance();
      condition = this.parseExpressionNode(true);
    }
    if (this.isName('recursive')) throw this.error('recursive loops are not supported', this.current.offset);
    this.expect('block_end', '%}');
    const { body, end } = this.parseBody(['endfor', 'else']);
    let otherwise: Statement[] | undefined;
    if (end === 'else') {
      this.expect('block_end', '%}');
      otherwise = this.parseBody(['endfor']).body;
    }
    this.expect('block_end', '%}');
    return { type: 'for', target, iterable, condition, body, otherwise, start };
  }

  private parseSet(): Statement {
    const target = this.parseTarget([]);
    if (this.isOperator('=')) {
      this.advance();
      const value = this.parseTuple(true, []);
      this.expect('block_end', '%}');
      return { type: 'set', target, value };
    }
    if (target.unpack) throw this.error('a {% set %} block assigns one name', target.start);
    const filters = this.isOperator('|') ? this.parseFilterChain(true) : [];
    this.expect('block_end', '%}');
    const { body } = this.parseBody(['endset']);
    this.expect('block_end', '%}');
    return { type: 'set_block', name: target.names[0]!, body, filters };
  }

  private parseFilterBlock(): Statement {
    const filters = this.parseFilterChain(false);
    this.expect('block_end', '%}');
    const { body } = this.parseBody(['endfilter']);
    this.expect('block_end', '%}');
    return { type: 'filter_block', filters, body };
  }

  private parseWith(): Statement {
    const assignments: { target: Target; value: Expression }[] = [];
    while (!this.is('block_end')) {
      if (assignments.length > 0) this.expectOperator(',');
      const target = this.parseTarget([]);
      this.expectOperator('=');
      assignments.push({ target, value: this.parseExpressionNode(true) });
    }
    this.expect('block_end', '%}');
    const { body } = this.parseBody(['endwith']);
    this.expect('block_end', '%}');
    return { type: 'with', assignments, body };
  }

  /** `x`, `a, b` or `(a, b)`: the names a loop or assignment binds. */
  private parseTarget(ends: readonly string[]): Target {
    const start = this.current.offset;
    const parenthesised = this.isOperator('(');
    if (parenthesised) this.advance();
    const names = [this.expectAssignableName()];
    let unpack = parenthesised;
    while (this.isOperator(',')) {
      this.advance();
      unpack = true;
      if (this.isOperator(')') || this.is('block_end') || ends.some((end) => this.isName(end))) break;
      names.push(this.expectAssignableName());
    }
    if (parenthesised) this.expectOperator(')');
    if (this.isOperator('.') || this.isOperator('[')) throw this.error('only names can be assigned to', this.current.offset);
    return { names, unpack, start };
  }

  private expectAssignableName(): string {
    const token = this.expectName();
    if (['true', 'false', 'none', 'True', 'False', 'None'].includes(token.value)) throw this.error(`cannot assign to "${token.value}"`, token.offset);
    return token.value;
  }
}
