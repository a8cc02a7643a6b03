import type { Bus, Consumer } from '@packrun/core';
import { registerBuiltinTriggerTypes } from './builtin-trigger-types.ts';
import { createTriggerProcessor, type TriggerProcessorDeps } from './trigger-processor.ts';

export interface RulesEngineOptions extends TriggerProcessorDeps {
  bus: Bus;
  /** Trigger instances processed at once. */
  concurrency?: number;
}

export interface RulesEngine {
  /** Stops taking trigger instances and waits for those in hand. */
  stop(): Promise<void>;
}

/**
 * The rules engine as a service: consumes the trigger-instances queue. A message whose processing
 * fails for a reason outside the rule (the store is down) is put back and retried; failures of a
 * rule itself are recorded as failed enforcements and the message is done.
 */
export async function startRulesEngine(options: RulesEngineOptions): Promise<RulesEngine> {
  await registerBuiltinTriggerTypes(options.store);
  const process = createTriggerProcessor(options);
  const consumer: Consumer = await options.bus.consume(
    'trigger-instances',
    async (message) => {
      await process(message);
    },
    { prefetch: options.concurrency ?? 4 },
  );
  return { stop: () => consumer.cancel() };
}
