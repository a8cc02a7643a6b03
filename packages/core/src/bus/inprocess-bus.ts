import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';
import type { Bus, CancelOptions, ConsumeOptions, Consumer, QueueHandler, QueueMessages, QueueName, Subscription, TopicEvents, TopicHandler, TopicName } from './types.ts';

/**
 * The bus for the embedded deployment: every service in one process, nothing to install. It keeps
 * RabbitMQ's semantics (prefetch, ack on resolve, requeue on reject, redelivered flag, fan-out)
 * so services behave the same in both deployments; queued messages live only as long as the process.
 */

interface QueuedMessage {
  body: string;
  redelivered: boolean;
}

interface ConsumerState {
  handler: QueueHandler<unknown>;
  prefetch: number;
  unsettled: Set<QueuedMessage>;
  active: boolean;
  settled: Set<() => void>;
}

interface QueueState {
  messages: QueuedMessage[];
  consumers: ConsumerState[];
  next: number;
  dispatchScheduled: boolean;
}

export function createInProcessBus(options: { logger?: Logger } = {}): Bus {
  const logger = options.logger?.child({ component: 'inprocess-bus' });
  const queues = new Map<QueueName, QueueState>();
  const topics = new Map<TopicName, Set<TopicHandler<unknown>>>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new PackrunError('BUS_CLOSED', 'the bus is closed', { userError: false });
  };

  function queue(name: QueueName): QueueState {
    let state = queues.get(name);
    if (state === undefined) {
      state = { messages: [], consumers: [], next: 0, dispatchScheduled: false };
      queues.set(name, state);
    }
    return state;
  }

  // Dispatch on a later turn so a handler that rejects at once cannot starve the event loop.
  function scheduleDispatch(state: QueueState): void {
    if (state.dispatchScheduled || closed) return;
    state.dispatchScheduled = true;
    setImmediate(() => {
      state.dispatchScheduled = false;
      dispatch(state);
    });
  }

  function dispatch(state: QueueState): void {
    while (state.messages.length > 0) {
      const consumer = pickConsumer(state);
      if (consumer === undefined) return;
      const message = state.messages.shift() as QueuedMessage;
      deliver(state, consumer, message);
    }
  }

  function pickConsumer(state: QueueState): ConsumerState | undefined {
    const count = state.consumers.length;
    for (let i = 0; i < count; i += 1) {
      const consumer = state.consumers[(state.next + i) % count];
      if (consumer !== undefined && consumer.active && consumer.unsettled.size < consumer.prefetch) {
        state.next = (state.next + i + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  function deliver(state: QueueState, consumer: ConsumerState, message: QueuedMessage): void {
    consumer.unsettled.add(message);
    const settle = (requeue: boolean): void => {
      // An abandoned consumer already gave the message back; its outcome no longer counts.
      if (!consumer.unsettled.delete(message)) return;
      if (requeue) state.messages.unshift({ body: message.body, redelivered: true });
      for (const notify of consumer.settled) notify();
      scheduleDispatch(state);
    };
    Promise.resolve()
      .then(() => consumer.handler(decodeMessage(message.body), { redelivered: message.redelivered }))
      .then(
        () => settle(false),
        (error: unknown) => {
          logger?.debug({ err: error }, 'handler rejected a message; requeued');
          settle(true);
        },
      );
  }

  function abandon(state: QueueState, consumer: ConsumerState): void {
    const given = [...consumer.unsettled].map((message) => ({ body: message.body, redelivered: true }));
    consumer.unsettled.clear();
    state.messages.unshift(...given);
    for (const notify of consumer.settled) notify();
  }

  return {
    kind: 'inprocess',
    get ready() {
      return !closed;
    },
    async waitReady() {
      if (closed) throw new PackrunError('BUS_UNAVAILABLE', 'the bus is closed', { userError: false });
    },
    async enqueue<Q extends QueueName>(name: Q, message: QueueMessages[Q]) {
      assertOpen();
      const state = queue(name);
      state.messages.push({ body: encodeMessage(name, message), redelivered: false });
      scheduleDispatch(state);
    },
    async consume<Q extends QueueName>(name: Q, handler: QueueHandler<QueueMessages[Q]>, consumeOptions: ConsumeOptions): Promise<Consumer> {
      assertOpen();
      const state = queue(name);
      const consumer: ConsumerState = {
        handler: handler as QueueHandler<unknown>,
        prefetch: Math.max(1, consumeOptions.prefetch),
        unsettled: new Set(),
        active: true,
        settled: new Set(),
      };
      state.consumers.push(consumer);
      scheduleDispatch(state);
      return {
        async cancel(cancelOptions: CancelOptions = {}) {
          if (!consumer.active) return;
          consumer.active = false;
          if (cancelOptions.abandon === true) {
            abandon(state, consumer);
          } else {
            await new Promise<void>((resolve) => {
              const check = (): void => {
                if (consumer.unsettled.size > 0) return;
                consumer.settled.delete(check);
                resolve();
              };
              consumer.settled.add(check);
              check();
            });
          }
          state.consumers = state.consumers.filter((c) => c !== consumer);
          scheduleDispatch(state);
        },
      };
    },
    async publish<T extends TopicName>(topic: T, event: TopicEvents[T]) {
      assertOpen();
      const body = encodeMessage(topic, event);
      for (const handler of topics.get(topic) ?? []) {
        queueMicrotask(() => {
          Promise.resolve()
            .then(() => handler(decodeMessage(body)))
            .catch((error: unknown) => logger?.warn({ err: error, topic }, 'event handler failed'));
        });
      }
    },
    async subscribe<T extends TopicName>(topic: T, handler: TopicHandler<TopicEvents[T]>): Promise<Subscription> {
      assertOpen();
      let handlers = topics.get(topic);
      if (handlers === undefined) {
        handlers = new Set();
        topics.set(topic, handlers);
      }
      const entry = handler as TopicHandler<unknown>;
      handlers.add(entry);
      return {
        async unsubscribe() {
          topics.get(topic)?.delete(entry);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const state of queues.values()) {
        for (const consumer of state.consumers) {
          consumer.active = false;
          abandon(state, consumer);
        }
        state.consumers = [];
      }
      topics.clear();
    },
  };
}
