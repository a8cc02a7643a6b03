import type { Argument, Expression } from './ast.ts';
import type { FunctionDefinition, Parameter } from './functions.ts';

/**
 * Matches a call's arguments to one overload's parameters by position and `name => value`
 * keyword, as yaql does before it looks at types: too many arguments, a missing required one, an
 * unknown keyword or one given twice means the overload does not fit (undefined).
 */

/** Where a parameter's value comes from. */
export type ArgumentSource =
  | { kind: 'value'; value: unknown }
  | { kind: 'default'; value: unknown }
  /** An argument of the call, by its index among the call's arguments (for caching its value). */
  | { kind: 'argument'; index: number; node: Expression | Extract<Argument, { type: 'mapping' }> };

export interface Binding {
  parameters: { parameter: Parameter; source: ArgumentSource }[];
  keywords: { name: string; index: number; node: Expression }[];
}

/** The receiver of a method call, already evaluated, comes first. */
export function bindArguments(definition: FunctionDefinition, receiver: { value: unknown } | undefined, args: readonly Argument[]): Binding | undefined {
  const positional: (ArgumentSource | undefined)[] = receiver === undefined ? [] : [{ kind: 'value', value: receiver.value }];
  const keywords = new Map<string, { index: number; node: Expression }>();
  for (const [index, arg] of args.entries()) {
    if (arg.type === 'omitted') positional.push(undefined);
    else if (arg.type === 'mapping' && !definition.noKeywords) {
      // Only a bare name can be a keyword; yaql refuses `'a' => 1` in such a call.
      if (arg.key.type !== 'keyword' || keywords.has(arg.key.name)) return undefined;
      keywords.set(arg.key.name, { index, node: arg.value });
    } else positional.push({ kind: 'argument', index, node: arg });
  }
  const { parameters, rest } = definition;
  if (positional.length > parameters.length && rest === undefined) return undefined;
  const bound: Binding['parameters'] = [];
  for (const [position, parameter] of parameters.entries()) {
    const given = positional[position];
    const keyword = keywords.get(parameter.name);
    if (given !== undefined) {
      if (keyword !== undefined) return undefined;
      bound.push({ parameter, source: given });
    } else if (keyword !== undefined) {
      keywords.delete(parameter.name);
      bound.push({ parameter, source: { kind: 'argument', index: keyword.index, node: keyword.node } });
    } else if ('default' in parameter || parameter.optional === true) {
      bound.push({ parameter, source: { kind: 'default', value: parameter.default } });
    } else {
      return undefined;
    }
  }
  for (const extra of positional.slice(parameters.length)) {
    if (extra === undefined) return undefined;
    bound.push({ parameter: rest!, source: extra });
  }
  if (keywords.size > 0 && !definition.restKeywords) return undefined;
  return { parameters: bound, keywords: [...keywords].map(([name, { index, node }]) => ({ name, index, node })) };
}
