import { TemplateError } from './errors.ts';

/** The arguments of a filter, test, function or method call: `f(1, 2, key=3)`. */
export interface CallArguments {
  positional: unknown[];
  /** A null-prototype object, so a keyword named `__proto__` is only a name. */
  keywords: Record<string, unknown>;
}

export function callArguments(positional: unknown[], keywords?: Record<string, unknown>): CallArguments {
  return { positional, keywords: keywords ?? (Object.create(null) as Record<string, unknown>) };
}

/**
 * Binds arguments to parameter names as Python does for positional-or-keyword parameters: too many
 * positional arguments, an unknown keyword or a parameter given twice is an error naming `callee`.
 * Parameters not given are absent from the result.
 */
export function bindArguments(callee: string, args: CallArguments, parameters: readonly string[]): Record<string, unknown> {
  const { positional, keywords } = args;
  if (positional.length > parameters.length) {
    throw new TemplateError('type', `${callee} takes at most ${parameters.length} argument${parameters.length === 1 ? '' : 's'}, got ${positional.length}`);
  }
  const bound = Object.create(null) as Record<string, unknown>;
  positional.forEach((value, index) => {
    bound[parameters[index]!] = value;
  });
  for (const name of Object.keys(keywords)) {
    if (!parameters.includes(name)) throw new TemplateError('type', `${callee} got an unexpected keyword argument "${name}"`);
    if (name in bound) throw new TemplateError('type', `${callee} got two values for the argument "${name}"`);
    bound[name] = keywords[name];
  }
  return bound;
}
