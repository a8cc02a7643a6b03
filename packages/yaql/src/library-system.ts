import { iterate } from './collections.ts';
import { define, parameter } from './define.ts';
import { YaqlError } from './errors.ts';
import { types, type FunctionDefinition } from './functions.ts';
import { Scope } from './scope.ts';
import { truthy } from './python-values.ts';
import { ScopeValue, type Lambda } from './values.ts';

/**
 * Scoping functions: `let`, `with` and `unpack` make a scope of variables for the right side of
 * `->` (`let(x => 1) -> $x + 1`); `assert` checks a value on the way through.
 */
export const systemFunctions: FunctionDefinition[] = [
  define(
    'let',
    'function',
    [],
    (args, context, keywords) => {
      const scope = new Scope(context.scope);
      args.forEach((value, index) => scope.set(String(index + 1), value));
      for (const [name, value] of Object.entries(keywords)) scope.set(name, value);
      return new ScopeValue(scope);
    },
    { rest: parameter('args', types.any), restKeywords: true },
  ),
  define(
    'with',
    'function',
    [],
    (args, context) => {
      const scope = new Scope(context.scope);
      args.forEach((value, index) => scope.set(String(index + 1), value));
      return new ScopeValue(scope);
    },
    { rest: parameter('args', types.any) },
  ),
  define(
    'unpack',
    'method',
    [parameter('sequence', types.iterable)],
    ([sequence, ...names], context) => {
      const items = [...iterate(sequence, context.meter)];
      if (names.length > 0 && names.length !== items.length) {
        throw new YaqlError('value', `Cannot unpack ${Math.min(items.length, names.length + 1)} elements into ${names.length}`);
      }
      const scope = new Scope(context.scope);
      items.forEach((value, index) => scope.set(names.length > 0 ? (names[index] as string) : String(index + 1), value));
      return new ScopeValue(scope);
    },
    { rest: parameter('args', types.string) },
  ),
  define(
    'assert',
    'method',
    [parameter('obj', types.any), parameter('condition', types.lambda), parameter('message', types.string, { default: 'Assertion failed' })],
    ([value, condition, message]) => {
      if (!truthy((condition as Lambda).call(value))) throw new YaqlError('value', message as string);
      return value;
    },
  ),
];
