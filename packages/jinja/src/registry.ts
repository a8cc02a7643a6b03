import type { CallArguments } from './arguments.ts';
import type { CallContext } from './template-values.ts';

/**
 * What an environment offers templates besides their data: filters, tests and global functions.
 * These are the only code a template can call; each is given plain values and returns plain values.
 */
export type FilterImpl = (value: unknown, args: CallArguments, context: CallContext) => unknown;
export type TestImpl = (value: unknown, args: CallArguments, context: CallContext) => boolean;

export interface FilterDefinition {
  call: FilterImpl;
  /**
   * The filter handles an undefined value itself (as `default` does) and receives the engine's
   * Undefined. Other filters fail on an undefined value, or receive '' when undefined is allowed.
   */
  acceptsUndefined?: boolean;
}

export interface Registry {
  filters: Map<string, FilterDefinition>;
  tests: Map<string, TestImpl>;
  /** Global names: functions (`range`) or values. */
  globals: Map<string, unknown>;
}
