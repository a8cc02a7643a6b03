import type { Argument, Expression } from './ast.ts';

/**
 * What an expression refers to, found by walking its syntax tree without evaluating it: the
 * variables it reads, the functions it calls with their constant arguments, and the keys it reads
 * from a function's result or from `$`. Orquesta's inspection uses this to report a `ctx()`
 * variable that is read but never defined, before the workflow runs.
 */

export interface VariableReference {
  /** The name without the dollar; `$` itself is ''. */
  name: string;
  start: number;
  end: number;
}

export interface FunctionReference {
  name: string;
  /** Called as a method (`x.name()`) rather than a function. */
  method: boolean;
  /** Each argument's value when it is a constant or a bare name (`ctx(foo)`), else undefined. */
  constantArguments: unknown[];
  start: number;
  end: number;
}

/**
 * A read of a named entry: `ctx('x')`, `ctx(x)`, `ctx().x`, `ctx()['x']`, `$.x`, `$['x']`. `name`
 * is undefined when the expression reads the whole value (`ctx()` alone) or computes the name.
 */
export interface NamedRead {
  name: string | undefined;
  /** The name is computed (`ctx(ctx().key)`), so no inspection can know it. */
  dynamic: boolean;
  start: number;
  end: number;
}

export interface References {
  variables: VariableReference[];
  functions: FunctionReference[];
}

type Visitor = (node: Expression, parent: Expression | undefined) => void;

function walk(node: Expression, visit: Visitor, parent?: Expression): void {
  visit(node, parent);
  const children = (args: Argument[]): Expression[] =>
    args.flatMap((arg) => (arg.type === 'omitted' ? [] : arg.type === 'mapping' ? [arg.key, arg.value] : [arg]));
  switch (node.type) {
    case 'group':
      return walk(node.expression, visit, node);
    case 'call':
    case 'list':
    case 'dict':
      for (const child of children(node.args)) walk(child, visit, node);
      return;
    case 'index':
      walk(node.object, visit, node);
      for (const child of children(node.args)) walk(child, visit, node);
      return;
    case 'member':
      walk(node.receiver, visit, node);
      walk(node.member, visit, node);
      return;
    case 'binary':
      walk(node.left, visit, node);
      walk(node.right, visit, node);
      return;
    case 'unary':
      return walk(node.operand, visit, node);
    default:
      return;
  }
}

/** The constant value of an argument, or undefined when it must be computed. */
function constantOf(arg: Argument | undefined): unknown {
  if (arg === undefined || arg.type === 'omitted' || arg.type === 'mapping') return undefined;
  if (arg.type === 'constant') return arg.value;
  if (arg.type === 'keyword') return arg.name;
  if (arg.type === 'group') return constantOf(arg.expression);
  return undefined;
}

export function references(expression: Expression): References {
  const variables: VariableReference[] = [];
  const functions: FunctionReference[] = [];
  walk(expression, (node, parent) => {
    if (node.type === 'variable') variables.push({ name: node.name, start: node.start, end: node.end });
    if (node.type === 'call') {
      const method = parent?.type === 'member' && parent.member === node;
      functions.push({ name: node.name, method, constantArguments: node.args.map(constantOf), start: node.start, end: node.end });
    }
  });
  return { variables, functions };
}

/** The key read from `node` by its parent: `.key`, `?.key` or `[key]` with a constant key. */
function keyReadFrom(node: Expression, parent: Expression | undefined): NamedRead | undefined {
  if (parent?.type === 'member' && parent.receiver === node && parent.member.type === 'keyword') {
    return { name: parent.member.name, dynamic: false, start: parent.start, end: parent.end };
  }
  if (parent?.type === 'index' && parent.object === node && parent.args.length >= 1) {
    const key = constantOf(parent.args[0]);
    return { name: typeof key === 'string' ? key : undefined, dynamic: typeof key !== 'string', start: parent.start, end: parent.end };
  }
  return undefined;
}

/** The entries read through a function called as `name(...)`: `ctx('x')`, `ctx(x)`, `ctx().x`. */
export function namedReads(expression: Expression, functionName: string): NamedRead[] {
  const reads: NamedRead[] = [];
  walk(expression, (node, parent) => {
    if (node.type !== 'call' || node.name !== functionName || (parent?.type === 'member' && parent.member === node)) return;
    if (node.args.length > 0) {
      const name = constantOf(node.args[0]);
      reads.push({ name: typeof name === 'string' ? name : undefined, dynamic: typeof name !== 'string', start: node.start, end: node.end });
      return;
    }
    reads.push(keyReadFrom(node, parent) ?? { name: undefined, dynamic: false, start: node.start, end: node.end });
  });
  return reads;
}

/**
 * Whether a call's argument is a lambda that rebinds `$` to something else (an item of `where`,
 * `select`...): `$` inside it is not the root. The engine answers from its functions' signatures.
 */
type RebindsRoot = (name: string, method: boolean, argumentIndex: number) => boolean;

/** The entries of the root value `$` that the expression reads: `$.x`, `$['x']`, outside lambdas that rebind `$`. */
export function rootReads(expression: Expression, rebinds: RebindsRoot): NamedRead[] {
  const reads: NamedRead[] = [];
  const visit = (node: Expression, parent: Expression | undefined, inLambda: boolean): void => {
    if (node.type === 'variable' && (node.name === '' || node.name === '1') && !inLambda) {
      reads.push(keyReadFrom(node, parent) ?? { name: undefined, dynamic: false, start: node.start, end: node.end });
    }
  };
  walkScoped(expression, visit, undefined, false, rebinds);
  return reads;
}

function walkScoped(
  node: Expression,
  visit: (node: Expression, parent: Expression | undefined, inLambda: boolean) => void,
  parent: Expression | undefined,
  inLambda: boolean,
  rebinds: RebindsRoot,
): void {
  visit(node, parent, inLambda);
  const descend = (child: Expression, lambda: boolean): void => walkScoped(child, visit, node, lambda, rebinds);
  const args = (list: Argument[], lambda: (index: number) => boolean): void => {
    list.forEach((arg, index) => {
      if (arg.type === 'omitted') return;
      if (arg.type === 'mapping') {
        descend(arg.key, lambda(index));
        descend(arg.value, lambda(index));
      } else descend(arg, lambda(index));
    });
  };
  switch (node.type) {
    case 'group':
      return descend(node.expression, inLambda);
    case 'call': {
      const method = parent?.type === 'member' && parent.member === node;
      return args(node.args, (index) => inLambda || rebinds(node.name, method, index));
    }
    case 'list':
    case 'dict':
      return args(node.args, () => inLambda);
    case 'index':
      descend(node.object, inLambda);
      return args(node.args, () => inLambda);
    case 'member':
      descend(node.receiver, inLambda);
      return descend(node.member, inLambda);
    case 'binary':
      descend(node.left, inLambda);
      return descend(node.right, inLambda);
    case 'unary':
      return descend(node.operand, inLambda);
    default:
      return;
  }
}
