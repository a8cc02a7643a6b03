import { describe, expect, it } from 'vitest';
import type { Argument, Expression } from './ast.ts';
import { tokenize } from './lexer.ts';
import { parse } from './parser.ts';

/** The tree as compact text: operators in parentheses, calls with their arguments. */
function shape(node: Expression | Argument): string {
  switch (node.type) {
    case 'constant':
      return JSON.stringify(node.value);
    case 'keyword':
      return node.name;
    case 'variable':
      return `$${node.name}`;
    case 'group':
      return shape(node.expression);
    case 'call':
      return `${node.name}(${node.args.map(shape).join(', ')})`;
    case 'member':
      return `(${shape(node.receiver)}${node.nullSafe ? '?.' : '.'}${shape(node.member)})`;
    case 'index':
      return `${shape(node.object)}[${node.args.map(shape).join(', ')}]`;
    case 'list':
      return `[${node.args.map(shape).join(', ')}]`;
    case 'dict':
      return `{${node.args.map(shape).join(', ')}}`;
    case 'binary':
      return `(${shape(node.left)} ${node.operator} ${shape(node.right)})`;
    case 'unary':
      return `(${node.operator} ${shape(node.operand)})`;
    case 'mapping':
      return `${shape(node.key)} => ${shape(node.value)}`;
    case 'omitted':
      return '_';
  }
}

const parsed = (source: string): string => shape(parse(tokenize(source), source, 100));

describe('parser', () => {
  it("binds operators as yaql's table does", () => {
    expect(parsed('1 + 2 * 3')).toBe('(1 + (2 * 3))');
    expect(parsed('not $a = 1 and $b')).toBe('((not ($a = 1)) and $b)');
    expect(parsed('-$.x * 2')).toBe('((- ($.x)) * 2)');
    expect(parsed("'a' =~ 'b' + 'c'")).toBe('(("a" =~ "b") + "c")');
    expect(parsed('-2 =~ 1')).toBe('((- 2) =~ 1)');
    expect(parsed('a or b and c')).toBe('(a or (b and c))');
    expect(parsed('1 = 2 in [true]')).toBe('((1 = 2) in [true])');
    expect(parsed('let(x => 1) -> let(y => 2) -> $x')).toBe('(let(x => 1) -> (let(y => 2) -> $x))');
    expect(parsed('$.a.b[0].c')).toBe('((($.a).b)[0].c)');
    expect(parsed('$[0]?.x')).toBe('($[0]?.x)');
    expect(parsed('$.l.where($ > 1).select($ * 2)')).toBe('((($.l).where(($ > 1))).select(($ * 2)))');
    expect(parsed('1 - -1')).toBe('(1 - (- 1))');
    expect(parsed('a mod b / c')).toBe('((a mod b) / c)');
  });

  it('reads literals, names and variables as yaql does', () => {
    expect(parsed("[1, 1.5, 'a', \"b\", `c`, true, null, abc, $, $x, $1]")).toBe('[1, 1.5, "a", "b", "c", true, null, abc, $, $x, $1]');
    expect(parsed('{a => 1, $k => [2]}')).toBe('{a => 1, $k => [2]}');
    expect(parsed("'\\x41\\u00e9\\n\\d'")).toBe(JSON.stringify('Aé\n\\d'));
    expect(parsed('not(x)')).toBe('not(x)');
    expect(parsed('f(, 1, , 2)')).toBe('f(_, 1, _, 2)');
    expect(parsed('f(1, a => 2, b => 3)')).toBe('f(1, a => 2, b => 3)');
    expect(parsed('f(1, , a => 2)')).toBe('f(1, _, a => 2)');
  });

  it('refuses what yaql refuses', () => {
    for (const source of ['', '1 +', 'f(1,)', 'f(a => 1, 2)', '()', '__x', '1a', '$.a{b => 1}', "'open", 'a => b', 'len (x)', '1e5', '!x', '[1', 'f(,)', 'f(, a => 1)']) {
      expect(() => parsed(source), source).toThrow(expect.objectContaining({ kind: 'syntax' }));
    }
  });
});
