import type { FilterDefinition, TestImpl } from './registry.ts';

/**
 * The syntax tree the parser builds and the interpreter walks. Every expression keeps where it
 * starts and ends in the source, so errors can quote the expression they are about.
 */

interface Span {
  start: number;
  end: number;
}

export interface KeywordArgument {
  name: string;
  value: Expression;
}

export type Expression = Span &
  (
    | { type: 'const'; value: string | number | boolean | null }
    | { type: 'name'; name: string }
    | { type: 'getattr'; object: Expression; name: string }
    | { type: 'getitem'; object: Expression; key: Expression }
    | { type: 'slice'; object: Expression; from: Expression | undefined; to: Expression | undefined; step: Expression | undefined }
    | { type: 'call'; callee: Expression; args: Expression[]; keywords: KeywordArgument[] }
    | { type: 'filter'; value: Expression; call: FilterCall }
    | { type: 'test'; value: Expression; name: string; test: TestImpl; args: Expression[]; keywords: KeywordArgument[]; negated: boolean }
    | { type: 'not'; operand: Expression }
    | { type: 'negative' | 'positive'; operand: Expression }
    | { type: 'binary'; operator: BinaryOperator; left: Expression; right: Expression }
    | { type: 'and' | 'or'; left: Expression; right: Expression }
    | { type: 'compare'; first: Expression; rest: { operator: CompareOperator; operand: Expression }[] }
    | { type: 'condition'; test: Expression; then: Expression; otherwise: Expression | undefined }
    | { type: 'list' | 'tuple'; items: Expression[] }
    | { type: 'dict'; entries: { key: Expression; value: Expression }[] }
  );

/** One `| name(args)`; the filter is resolved when the template is parsed. */
export interface FilterCall {
  name: string;
  filter: FilterDefinition;
  args: Expression[];
  keywords: KeywordArgument[];
  start: number;
}

type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';
export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

/** What `{% for %}` and `{% set %}` assign to: one name, or several unpacked from a sequence. */
export type Target = { names: string[]; unpack: boolean; start: number };

export type Statement =
  | { type: 'text'; text: string }
  | { type: 'print'; value: Expression; start: number }
  | { type: 'if'; branches: { test: Expression; body: Statement[] }[]; otherwise: Statement[] | undefined }
  | { type: 'for'; target: Target; iterable: Expression; condition: Expression | undefined; body: Statement[]; otherwise: Statement[] | undefined; start: number }
  | { type: 'set'; target: Target; value: Expression }
  | { type: 'set_block'; name: string; body: Statement[]; filters: FilterCall[] }
  | { type: 'filter_block'; filters: FilterCall[]; body: Statement[] }
  | { type: 'with'; assignments: { target: Target; value: Expression }[]; body: Statement[] };
