import type { PackrunConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createInProcessBus } from './inprocess-bus.ts';
import { createRabbitMqBus } from './rabbitmq-bus.ts';
import { busMessageBounds } from '../limits/configured-limits.ts';
import type { Bus } from './types.ts';

/**
 * The bus the configuration names: RabbitMQ when PACKRUN_RABBITMQ_URL is set, else in-process. An
 * in-process bus only connects what shares it, so in the embedded deployment every service of the
 * process must be handed the same instance. A RabbitMQ bus connects in the background: call
 * `waitReady()` at start-up to fail early when the broker is missing.
 */
export function openBus(config: PackrunConfig, logger?: Logger): Bus {
  const withLogger = logger === undefined ? {} : { logger };
  if (config.rabbitmqUrl === undefined) return createInProcessBus(withLogger);
  return createRabbitMqBus({ url: config.rabbitmqUrl, prefix: config.rabbitmqPrefix, enqueueTimeoutMs: config.busWaitSeconds * 1000, messageBounds: busMessageBounds(config), ...withLogger });
}
