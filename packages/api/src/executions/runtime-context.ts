import { PackrunError } from '@packrun/core';

/**
 * Context keys only the runtime writes, each recording something it did: `parent` (the workflow a
 * task runs for), `orquesta` and `chain` (which of its tasks), `st2` (an Orquesta workflow's own
 * st2 context, which its driver builds and uses as given), `policies` (a retry policy's count and
 * the execution it retried) and `re-run` (the execution a re-run repeats). A caller who could set
 * them would make an execution of theirs look like a task of someone else's workflow, a retry or a
 * re-run it is not. StackStorm takes any context a caller gives; its clients send none of these
 * (`st2 run` sends `trace_context` at most, `st2 execution re-run` no context at all).
 */
const runtimeContextKeys = ['parent', 'orquesta', 'chain', 'st2', 'policies', 're-run'] as const;

/**
 * Refuses a caller's context that sets a key the runtime owns, naming it: refused, not dropped, so
 * that a client relying on it learns at once that Packrun does not take it. `user` is not refused:
 * StackStorm replaces it with the execution's user, and so does Packrun.
 */
export function assertCallerContext(context: Record<string, unknown>): void {
  const reserved = runtimeContextKeys.find((key) => Object.hasOwn(context, key));
  if (reserved === undefined) return;
  throw new PackrunError('EXECUTION_CONTEXT_RESERVED', `context.${reserved} is set by the runtime, never by a caller`, {
    hint: `leave context.${reserved} out: the workflow engine, the retry policy and re-run record it themselves (a caller may set trace_context and keys of its own)`,
    details: { field: `context.${reserved}` },
  });
}
