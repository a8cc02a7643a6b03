/**
 * The syntax tree of a YAQL expression. Every node has the offsets of its source text, so errors
 * and inspection can point at it.
 */
interface Span {
  start: number;
  end: number;
}

/** An argument of a call, indexer, list or dict: a value, `key => value`, or nothing (`f(, 1)`). */
export type Argument = Expression | MappingArgument | OmittedArgument;

interface MappingArgument extends Span {
  type: 'mapping';
  key: Expression;
  value: Expression;
}

interface OmittedArgument extends Span {
  type: 'omitted';
}

export type Expression =
  | (Span & { type: 'constant'; value: unknown })
  /** A bare name; its value is the name as a string, but `.name` and `name =>` treat it as a name. */
  | (Span & { type: 'keyword'; name: string })
  /** `$name`; name '' is `$`. */
  | (Span & { type: 'variable'; name: string })
  /** `( expression )`. */
  | (Span & { type: 'group'; expression: Expression })
  | (Span & { type: 'call'; name: string; args: Argument[] })
  /** `receiver.member` and `receiver?.member`; member is a name or a call (a method call). */
  | (Span & { type: 'member'; receiver: Expression; member: Expression; nullSafe: boolean })
  | (Span & { type: 'index'; object: Expression; args: Argument[] })
  | (Span & { type: 'list'; args: Argument[] })
  | (Span & { type: 'dict'; args: Argument[] })
  | (Span & { type: 'binary'; operator: string; left: Expression; right: Expression })
  | (Span & { type: 'unary'; operator: string; operand: Expression });
