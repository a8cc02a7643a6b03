import { PackrunError, type Bus, type ExecutionRecord, type Store } from '@packrun/core';
import type { TriggerInjector } from '@packrun/action-runner';
import { dispatchTrigger } from '@packrun/rules-engine';

/**
 * The pack an execution acts for, when it acts for one: an execution a pack's own rule asked for
 * may fire only that pack's triggers, as the pack's sensors may. The rules engine records the
 * rule's source in the context; a context naming a rule without `source: 'api'` (an older record,
 * or one a caller wrote) is taken as a pack's, so what the context says can only narrow.
 */
function actingPack(execution: ExecutionRecord): { pack: string; rule: string } | undefined {
  const rule = execution.context['rule'];
  if (typeof rule !== 'object' || rule === null) return undefined;
  const { source, pack, ref } = rule as Record<string, unknown>;
  if (source === 'api') return undefined;
  return { pack: typeof pack === 'string' ? pack : '', rule: typeof ref === 'string' ? ref : String(execution.rule ?? '') };
}

/**
 * What core.inject_trigger may fire, decided where the API's roles are: it fires what
 * `POST /api/v1/webhooks/st2` would, for the execution's user. Asking for any execution already
 * takes the `operate` permission that webhook needs (POST /executions, a re-run, a rule an
 * operator created or a pack an admin installed), so what is left to decide here is the pack
 * scope: a pack's rule fires only its own pack's triggers. Only executions of an inject-trigger
 * action may fire at all.
 */
export function createTriggerInjector(deps: { store: Store; bus: Bus }): TriggerInjector {
  return async (execution, injection) => {
    if (execution.runnerType !== 'inject-trigger') {
      throw new PackrunError('API_RUNNER_FORBIDDEN', `execution ${execution.id} runs ${execution.action}, whose runner does not fire triggers`, {
        details: { execution: execution.id, action: execution.action },
      });
    }
    const acting = actingPack(execution);
    const fired = await dispatchTrigger(deps.store, deps.bus, {
      trigger: injection.trigger,
      payload: injection.payload,
      source: `execution:${execution.id}`,
      ...(injection.traceTag === undefined ? {} : { traceTag: injection.traceTag }),
      ...(acting ? { fromPack: acting.pack, onBehalfOf: `rule ${acting.rule} of pack "${acting.pack}"` } : {}),
    });
    return { trigger: fired.trigger, payload: fired.payload, trigger_instance: fired.id };
  };
}
