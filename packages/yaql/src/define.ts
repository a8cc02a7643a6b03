import type { CallForm, FunctionContext, FunctionDefinition, Parameter, ParameterType } from './functions.ts';

/** Shorthands for declaring the standard library's overloads. */

export function parameter(name: string, type: ParameterType, options: { default?: unknown; optional?: boolean } = {}): Parameter {
  return { name, type, ...options };
}

type Implementation = (args: unknown[], context: FunctionContext, keywords: Record<string, unknown>) => unknown;

export function define(
  name: string,
  form: CallForm,
  parameters: Parameter[],
  call: Implementation,
  options: { rest?: Parameter; restKeywords?: boolean; noKeywords?: boolean } = {},
): FunctionDefinition {
  return { name, form, parameters, call, ...options };
}
