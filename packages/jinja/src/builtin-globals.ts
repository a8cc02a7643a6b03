import type { CallArguments } from './arguments.ts';
import { pairsOf } from './container-methods.ts';
import { defineKey } from './data-access.ts';
import { TemplateError } from './errors.ts';
import type { CallContext, TemplateFunctionImpl } from './template-values.ts';
import { aTypeName } from './template-values.ts';

/** Jinja's global functions that make sense over data: `range()` and `dict()`. */

function integerArgument(value: unknown, what: string): number {
  if (typeof value === 'boolean') return Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TemplateError('type', `range: the ${what} must be an integer, not ${aTypeName(value)}`);
  return value;
}

function range(args: CallArguments, context: CallContext): number[] {
  if (Object.keys(args.keywords).length > 0) throw new TemplateError('type', 'range takes no keyword arguments');
  const values = args.positional;
  if (values.length === 0 || values.length > 3) throw new TemplateError('type', `range takes 1 to 3 arguments, got ${values.length}`);
  const [start, stop, step] = values.length === 1 ? [0, integerArgument(values[0], 'stop'), 1] : [integerArgument(values[0], 'start'), integerArgument(values[1], 'stop'), values.length === 3 ? integerArgument(values[2], 'step') : 1];
  if (step === 0) throw new TemplateError('type', 'range: the step must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  context.meter.checkCollection(count);
  context.meter.step(count);
  const out: number[] = new Array<number>(count);
  for (let index = 0; index < count; index += 1) out[index] = start + index * step;
  return out;
}

/** dict(pairs_or_dict, **keywords): a new dict the template owns. */
function dict(args: CallArguments, context: CallContext): Record<string, unknown> {
  if (args.positional.length > 1) throw new TemplateError('type', `dict takes at most 1 positional argument, got ${args.positional.length}`);
  const out = context.newDict();
  const source = args.positional[0];
  const pairs = source === undefined ? [] : pairsOf(source, context.meter);
  for (const [key, value] of [...pairs, ...Object.entries(args.keywords)]) defineKey(out, key, value);
  context.meter.checkCollection(Object.keys(out).length);
  return out;
}

export const builtinFunctions: [string, TemplateFunctionImpl][] = [
  ['range', range],
  ['dict', dict],
];
