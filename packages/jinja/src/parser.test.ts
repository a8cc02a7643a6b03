import { describe, expect, it } from 'vitest';
import type { Expression } from './ast.ts';
import { Environment } from './environment.ts';
import { TemplateError } from './errors.ts';
import { tokenizeExpression } from './lexer.ts';
import { parseExpression } from './parser.ts';

const registry = { filters: new Map([['upper', { call: (value: unknown) => String(value).toUpperCase() }]]), tests: new Map([['odd', () => true]]), globals: new Map() };

/** The expression's tree as a compact string: operators and node types, for checking precedence. */
function shape(source: string): string {
  const show = (node: Expression): string => {
    switch (node.type) {
      case 'const': return JSON.stringify(node.value);
      case 'name': return node.name;
      case 'getattr': return `${show(node.object)}.${node.name}`;
      case 'getitem': return `${show(node.object)}[${show(node.key)}]`;
      case 'binary': return `(${show(node.left)} ${node.operator} ${show(node.right)})`;
      case 'and': case 'or': return `(${show(node.left)} ${node.type} ${show(node.right)})`;
      case 'not': return `(not ${show(node.operand)})`;
      case 'negative': return `(-${show(node.operand)})`;
      case 'compare': return `(${show(node.first)}${node.rest.map(({ operator, operand }) => ` ${operator} ${show(operand)}`).join('')})`;
      case 'filter': return `(${show(node.value)} | ${node.call.name})`;
      case 'test': return `(${show(node.value)} is ${node.negated ? 'not ' : ''}${node.name}${node.args.map((arg) => ` ${show(arg)}`).join('')})`;
      case 'condition': return `(${show(node.then)} if ${show(node.test)} else ${node.otherwise ? show(node.otherwise) : '-'})`;
      case 'call': return `${show(node.callee)}(${[...node.args.map(show), ...node.keywords.map(({ name, value }) => `${name}=${show(value)}`)].join(', ')})`;
      case 'tuple': case 'list': return `${node.type}[${node.items.map(show).join(', ')}]`;
      case 'slice': return `${show(node.object)}[${[node.from, node.to, node.step].map((part) => (part ? show(part) : '')).join(':')}]`;
      default: return node.type;
    }
  };
  return show(parseExpression(tokenizeExpression(source), source, registry, 64));
}

function syntaxError(source: string, environment = new Environment()): TemplateError {
  try {
    environment.compile(source);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('parser', () => {
  it("follows Jinja's operator precedence", () => {
    expect(shape('a or b and not c == d')).toBe('(a or (b and (not (c == d))))');
    expect(shape('1 + 2 * 3 ~ 4')).toBe('(1 + ((2 * 3) ~ 4))');
    expect(shape('2 ** 3 ** 2')).toBe('((2 ** 3) ** 2)');
    expect(shape('-x | upper')).toBe('((-x) | upper)');
    expect(shape('a < b <= c not in d')).toBe('(a < b <= c not in d)');
    expect(shape('x is not odd and y is odd 3')).toBe('((x is not odd) and (y is odd 3))');
    expect(shape('a if b else c if d')).toBe('(a if b else (c if d else -))');
  });

  it('reads postfix lookups, calls, slices and literals', () => {
    expect(shape("a.b[0].c('x', n=1)")).toBe('a.b[0].c("x", n=1)');
    expect(shape('items.0.name')).toBe('items[0].name');
    expect(shape('s[1:] ~ s[::-1] ~ s[:2]')).toBe('((s[1::] ~ s[::(-1)]) ~ s[:2:])');
    expect(shape('(1,) ~ (1) ~ [1, 2,]')).toBe('((tuple[1] ~ 1) ~ list[1, 2])');
    expect(shape("'a' 'b'")).toBe('"ab"');
  });

  it('refuses unknown filters, tests and tags, and tags that load or define templates', () => {
    expect(syntaxError('{{ x | nosuch }}').message).toBe('no filter named "nosuch" (line 1, column 8)');
    expect(syntaxError('{{ x is nosuch }}').message).toMatch(/no test named "nosuch"/);
    expect(syntaxError('{% frobnicate %}').message).toMatch(/unknown tag "frobnicate"/);
    for (const tag of ['include "x"', 'import "x" as y', 'extends "x"', 'macro m()', 'call m()', 'block b']) {
      expect(syntaxError(`{% ${tag} %}`).message).toMatch(/is not supported/);
    }
  });

  it('reports malformed templates with their position', () => {
    expect(syntaxError('{% if x %}never closed').message).toMatch(/ended where \{% elif %\} or \{% else %\} or \{% endif %\} was expected/);
    expect(syntaxError('{{ f(a=1, 2) }}').message).toMatch(/positional argument follows a keyword argument/);
    expect(syntaxError('{{ f(*args) }}').message).toMatch(/not supported/);
    expect(syntaxError('line\n{{ 1 + }}').message).toBe('unexpected "}}" (line 2, column 8)');
    expect(syntaxError('{% set a.b = 1 %}').message).toMatch(/only names can be assigned/);
    expect(syntaxError('{% for x in y recursive %}{% endfor %}').message).toMatch(/recursive loops are not supported/);
  });

  it('bounds the nesting of the syntax', () => {
    const deep = `{{ ${'('.repeat(10_000)}1${')'.repeat(10_000)} }}`;
    const error = syntaxError(deep);
    expect(error.kind).toBe('limit');
    expect(error.limit).toBe('maxNestingDepth');
    const blocks = '{% if x %}'.repeat(500) + '{% endif %}'.repeat(500);
    expect(syntaxError(blocks).limit).toBe('maxNestingDepth');
    expect(syntaxError(`{{ ${'not '.repeat(5000)}x }}`).limit).toBe('maxNestingDepth');
  });
});
