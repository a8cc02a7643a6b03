import { PackrunError } from '@packrun/core';
import type { InlineRunner, RunnerInput, TriggerInjection } from './runner.ts';
import { needsServer } from './server-services.ts';

/** st2's checks on core.inject_trigger's parameters: one of trigger and trigger_name. */
function injectionOf(input: RunnerInput): TriggerInjection {
  const { trigger, trigger_name: triggerName, payload, trace_tag: traceTag } = input.parameters;
  const invalid = (message: string, parameter: string): PackrunError =>
    new PackrunError('PARAMETER_INVALID', `action ${input.action.ref}: ${message}`, { details: { action: input.action.ref, parameter } });
  if (trigger && triggerName) throw invalid('parameters "trigger" and "trigger_name" are mutually exclusive', 'trigger');
  const ref = trigger || triggerName;
  if (typeof ref !== 'string' || ref === '') throw invalid('give the trigger to fire in "trigger_name"', 'trigger_name');
  return {
    trigger: ref,
    payload: (payload ?? {}) as Record<string, unknown>,
    ...(typeof traceTag === 'string' && traceTag !== '' ? { traceTag } : {}),
  };
}

/**
 * inject-trigger (Packrun's runner for core.inject_trigger, which StackStorm writes as a Python
 * action calling its own webhook API): fires a trigger through the execution authority, which
 * checks on whose behalf the execution runs and which triggers that one may fire. The result has
 * the shape of StackStorm's Python action's: the webhook's answer `{trigger, payload}` as `result`.
 */
export const injectTriggerRunner: InlineRunner = {
  inline: true,
  describe: (input) => ({ fires: injectionOf(input) }),
  async run(input, context) {
    const injection = injectionOf(input);
    const inject = context.services.injectTrigger;
    if (!inject) throw needsServer(input, 'fires a trigger for the rules engine');
    const fired = await inject(injection);
    return { status: 'succeeded', result: { result: fired, stdout: '', stderr: '', exit_code: 0 } };
  },
};
