import { describe, expect, it } from 'vitest';
import { KeyValueNeeded } from '../driver.ts';
import { ExpressionFailure, Expressions, isExpression } from './expressions.ts';
import type { EvaluationScope } from './functions.ts';

/** Orquesta's expressions in both languages, over a scope written out by hand. */

const expressions = new Expressions();
const scope = (extra: Partial<EvaluationScope> = {}): EvaluationScope => ({
  vars: { name: 'Ann', n: 2, flag: true, none: null, list: [1, 'a'], dict: { k: 'v' }, __hidden: 'x' },
  ...extra,
});
const evaluate = (text: string, extra: Partial<EvaluationScope> = {}): unknown => expressions.evaluate(text, scope(extra));

function failure(text: string, extra: Partial<EvaluationScope> = {}): string {
  try {
    evaluate(text, extra);
  } catch (error) {
    if (error instanceof ExpressionFailure) return error.message;
    throw error;
  }
  throw new Error(`${text} did not fail`);
}

describe('evaluation', () => {
  it('a lone expression keeps its type in both languages', () => {
    expect(evaluate('<% ctx().list %>')).toEqual([1, 'a']);
    expect(evaluate('{{ ctx().dict }}')).toEqual({ k: 'v' });
    // Whitespace around it makes text, as in orquesta (a folded YAML scalar ends with a newline).
    expect(evaluate('  {{ ctx().dict }}\n')).toBe("  {'k': 'v'}\n");
    expect(evaluate('<% ctx().n %>\n')).toBe('2\n');
    expect(evaluate('<% ctx(n) + 1 %>')).toBe(3);
    expect(evaluate('{{ ctx("flag") }}')).toBe(true);
  });

  it('text around expressions makes text, values printed as Python prints them', () => {
    expect(evaluate('<% ctx().name %> has <% ctx().n %>: <% ctx().flag %> <% ctx().none %> <% ctx().list %>')).toBe("Ann has 2: True None [1, 'a']");
    expect(evaluate('{{ ctx().name }} has {{ ctx().n }}: {{ ctx().flag }} {{ ctx().none }} {{ ctx().list }}')).toBe("Ann has 2: True None [1, 'a']");
    expect(evaluate('{% if ctx().flag %}yes{% else %}no{% endif %}')).toBe('yes');
    expect(evaluate('no expression here')).toBe('no expression here');
  });

  it('evaluates strings inside lists and dicts, keeping keys as written', () => {
    expect(expressions.evaluate({ a: ['<% ctx().n %>', { b: '{{ ctx().name }}' }], '<% x %>': 1 }, scope())).toEqual({ a: [2, { b: 'Ann' }], '<% x %>': 1 });
  });

  it('ctx() hides the internal variables and names a missing one as orquesta does', () => {
    expect(evaluate('<% ctx().keys().orderBy($) %>')).toEqual(['dict', 'flag', 'list', 'n', 'name', 'none']);
    expect(failure('<% ctx(missing) %>')).toBe('YaqlEvaluationException: Unable to evaluate expression \'<% ctx(missing) %>\'. VariableUndefinedError: The variable "missing" is undefined.');
    expect(failure('<% ctx().missing %>')).toBe("YaqlEvaluationException: Unable to resolve key 'missing' in expression '<% ctx().missing %>' from context.");
    expect(failure('{{ ctx("missing") }}')).toMatch(/^JinjaEvaluationException: Unable to evaluate expression '\{\{ ctx\("missing"\) \}\}'\. .*The variable "missing" is undefined\./);
  });

  it('result(), item() and the task status functions read the current task', () => {
    const current = { currentTask: { id: 't', route: 0, result: { stdout: 'ok' }, hasResult: true }, tasks: { status: () => 'failed', record: () => undefined } };
    expect(evaluate('<% result().stdout %>', current)).toBe('ok');
    expect(evaluate('{{ failed() and not succeeded() and completed() }}', current)).toBe(true);
    expect(evaluate('<% item(host) %>', { item: { value: { host: 'h1' } } })).toBe('h1');
    expect(failure('<% item(port) %>', { item: { value: { host: 'h1' } } })).toContain('Item does not have key "port".');
    expect(failure('<% result() %>')).toContain('The current task is not set in the context.');
  });

  it('in YAQL, $ is the context', () => {
    expect(evaluate('<% $.name %> <% $.list.len() %>')).toBe('Ann 2');
  });

  it('json() and zip() as orquesta has them', () => {
    expect(evaluate('<% json(\'{"a": [1]}\') %>')).toEqual({ a: [1] });
    expect(evaluate('{{ zip([1, 2, 3], ["a"], pad="-") }}')).toEqual([[1, 'a'], [2, '-'], [3, '-']]);
  });

  it("a datastore key the runtime has not loaded yet stops the step, whichever language asks", () => {
    const needs: Partial<EvaluationScope> = {
      keyValue: (name, kvScope, decrypt) => {
        throw new KeyValueNeeded(name, kvScope, decrypt);
      },
    };
    expect(() => evaluate('<% st2kv("system.k", decrypt => true) %>', needs)).toThrow(KeyValueNeeded);
    expect(() => evaluate('{{ st2kv("k") }}', needs)).toThrow(KeyValueNeeded);
  });
});

describe('inspection helpers', () => {
  it('knows an expression from text', () => {
    expect(isExpression('<% 1 %>')).toBe(true);
    expect(isExpression('{% if x %}{% endif %}')).toBe(true);
    expect(isExpression('{ not: jinja }')).toBe(false);
  });

  it('reports syntax errors per statement', () => {
    expect(expressions.validate('<% 1 + %> and <% 2 %>')).toEqual([{ language: 'yaql', expression: '<% 1 + %>', message: expect.stringContaining('Parse error') as unknown as string }]);
    expect(expressions.validate('{{ 1 + }}')).toHaveLength(1);
    expect(expressions.validate('<% ctx().a %>')).toEqual([]);
  });

  it('finds the ctx() variables read, in both languages', () => {
    expect(expressions.contextReads('<% ctx().a + ctx(b) + ctx("c") + ctx()[d] + ctx(ctx().e) %>').sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(expressions.contextReads('{{ ctx().a ~ ctx("b") ~ ctx(\'c\') }}').sort()).toEqual(['a', 'b', 'c']);
  });
});
