import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { PackrunError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { decodeBrokerMessage, encodeMessage } from './message-codec.ts';
import { busMessageBounds } from '../limits/configured-limits.ts';
import { loadConfig } from '../config.ts';
import type { JsonBounds } from '../limits/json-limits.ts';
import { queueNames, type Bus, type CancelOptions, type ConsumeOptions, type Consumer, type QueueHandler, type QueueMessages, type QueueName, type Subscription, type TopicEvents, type TopicHandler, type TopicName } from './types.ts';

/**
 * The bus for the distributed deployment. Work queues are durable classic queues fed through the
 * default exchange with persistent messages and publisher confirms; topics share one topic
 * exchange, and each subscriber reads its own exclusive, auto-deleted queue.
 *
 * The connection is kept alive by the bus itself: after an outage it reconnects with exponential
 * backoff, declares the topology again, re-registers every consumer and subscription, and resends
 * every enqueued message the broker had not confirmed. Each consumer has its own channel, so its
 * prefetch is its own and cancelling it with `abandon` hands its messages back at once.
 */
export interface RabbitMqBusOptions {
  url: string;
  /** Names of queues and the exchange start with it, so several installations can share a vhost. */
  prefix?: string;
  /** How long enqueue and publish wait for a connection before BUS_UNAVAILABLE. */
  enqueueTimeoutMs?: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** What every message received is held to before it is parsed; default: the input limits' defaults. */
  messageBounds?: JsonBounds;
  logger?: Logger;
}

interface PendingMessage {
  queue: string;
  body: Buffer;
  messageId: string;
  sentOn: ConfirmChannel | undefined;
  settle: (error?: PackrunError) => void;
}

function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.username = '';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}

function withHeartbeat(url: string): string {
  try {
    const parsed = new URL(url);
    // A short heartbeat notices a vanished broker (network cut, not just a closed socket) quickly.
    if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
    return parsed.toString();
  } catch {
    return url;
  }
}

export function createRabbitMqBus(options: RabbitMqBusOptions): Bus {
  return new RabbitMqBus(options);
}

class RabbitMqBus implements Bus {
  readonly kind = 'rabbitmq' as const;
  private readonly prefix: string;
  private readonly exchange: string;
  private readonly enqueueTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private model: ChannelModel | undefined;
  private confirm: ConfirmChannel | undefined;
  private events: Channel | undefined;
  private isReady = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly readyWaiters = new Set<() => void>();
  private readonly pending = new Set<PendingMessage>();
  readonly consumers = new Set<RabbitConsumer>();
  readonly subscriptions = new Set<RabbitSubscription>();
  private readonly bounds: JsonBounds;

  constructor(private readonly options: RabbitMqBusOptions) {
    this.prefix = options.prefix ?? 'packrun';
    this.bounds = options.messageBounds ?? busMessageBounds(loadConfig({}));
    this.exchange = `${this.prefix}.events`;
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 30_000;
    this.logger = options.logger?.child({ component: 'rabbitmq-bus', broker: redacted(options.url) });
    void this.connect();
  }

  get ready(): boolean {
    return this.isReady;
  }

  isConnection(model: ChannelModel): boolean {
    return this.model === model && this.isReady;
  }

  queueName(queue: QueueName): string {
    return `${this.prefix}.${queue}`;
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.closed) return;
    let model: ChannelModel | undefined;
    let lost = false;
    try {
      // amqplib is loaded on first connect so that embedded deployments and the CLI never pay for it.
      const { default: amqp } = await import('amqplib');
      model = await amqp.connect(withHeartbeat(this.options.url), { noDelay: true, timeout: 10_000 });
      const current = model;
      current.on('error', (error: Error) => this.logger?.warn({ err: error }, 'broker connection error'));
      current.on('close', () => {
        lost = true;
        if (this.model === current) this.disconnected();
      });
      // Known from here on (though not ready), so a consumer registered during the set-up below
      // attaches itself instead of being missed.
      this.model = current;
      const confirm = await current.createConfirmChannel();
      confirm.on('error', (error: Error) => this.logger?.warn({ err: error }, 'publish channel error'));
      // Publishing depends on this channel; if the broker closes it alone, start over cleanly.
      confirm.on('close', () => {
        if (this.confirm === confirm) void current.close().catch(() => undefined);
      });
      for (const queue of queueNames) await confirm.assertQueue(this.queueName(queue), { durable: true });
      await confirm.assertExchange(this.exchange, 'topic', { durable: true });
      const events = await current.createChannel();
      events.on('error', (error: Error) => this.logger?.warn({ err: error }, 'event channel error'));
      events.on('close', () => {
        if (this.events === events) void current.close().catch(() => undefined);
      });
      for (const consumer of this.consumers) await consumer.attach(current);
      for (const subscription of this.subscriptions) await subscription.attach(current);
      if (lost || this.closed) throw new Error('connection closed during set-up');
      this.confirm = confirm;
      this.events = events;
      this.isReady = true;
      if (this.attempt > 0) this.logger?.info('reconnected to the broker');
      this.attempt = 0;
      for (const wake of this.readyWaiters) wake();
      for (const message of this.pending) if (message.sentOn !== confirm) this.send(message);
    } catch (error) {
      this.logger?.warn({ err: error, attempt: this.attempt }, 'cannot connect to the broker; retrying');
      if (model !== undefined) {
        if (this.model === model) this.disconnected();
        await model.close().catch(() => undefined);
      }
      this.scheduleReconnect();
    }
  }

  private disconnected(): void {
    this.logger?.warn('lost the broker connection; reconnecting');
    this.model = undefined;
    this.confirm = undefined;
    this.events = undefined;
    this.isReady = false;
    for (const consumer of this.consumers) consumer.detach();
    for (const subscription of this.subscriptions) subscription.detach();
    this.scheduleReconnect();
  }

  /**
   * Attaches a consumer or subscription registered while connected. If the connection drops
   * meanwhile, the reconnect attaches it; only a failure on a healthy connection is the caller's.
   */
  private async attachNow(part: { attach(model: ChannelModel): Promise<void> }, forget: () => void): Promise<void> {
    const model = this.model;
    if (model === undefined) return;
    try {
      await part.attach(model);
    } catch (error) {
      if (this.model === model && this.isReady) {
        forget();
        throw error;
      }
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const initial = this.options.reconnectInitialDelayMs ?? 100;
    const max = this.options.reconnectMaxDelayMs ?? 5_000;
    const delay = Math.min(max, initial * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private send(message: PendingMessage): void {
    const channel = this.confirm;
    if (channel === undefined || !this.isReady) return;
    message.sentOn = channel;
    const options = { persistent: true, contentType: 'application/json', messageId: message.messageId };
    try {
      channel.publish('', message.queue, message.body, options, (error: unknown) => {
        if (!this.pending.has(message)) return;
        if (error === null || error === undefined) {
          message.settle();
          return;
        }
        // Nacked, or the channel went down before the confirm: send again on this channel after a
        // pause, or on the next one once reconnected.
        if (message.sentOn === channel) message.sentOn = undefined;
        setTimeout(() => {
          if (this.pending.has(message) && this.confirm === channel) this.send(message);
        }, 200);
      });
    } catch {
      message.sentOn = undefined;
    }
  }

  async waitReady(timeoutMs = this.enqueueTimeoutMs): Promise<void> {
    if (this.closed) throw closedError();
    if (this.isReady) return;
    await new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.readyWaiters.delete(wake);
        if (this.closed) reject(closedError());
        else resolve();
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(wake);
        reject(unavailable(this.options.url, timeoutMs));
      }, timeoutMs);
      this.readyWaiters.add(wake);
    });
  }

  async enqueue<Q extends QueueName>(queue: Q, message: QueueMessages[Q]): Promise<void> {
    if (this.closed) throw closedError();
    const body = Buffer.from(encodeMessage(queue, message));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.settle(unavailable(this.options.url, this.enqueueTimeoutMs, 'the message was not confirmed'));
      }, this.enqueueTimeoutMs);
      const pending: PendingMessage = {
        queue: this.queueName(queue),
        body,
        messageId: randomUUID(),
        sentOn: undefined,
        settle: (error) => {
          if (!this.pending.delete(pending)) return;
          clearTimeout(timer);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      this.pending.add(pending);
      this.send(pending);
    });
  }

  async consume<Q extends QueueName>(queue: Q, handler: QueueHandler<QueueMessages[Q]>, options: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw closedError();
    const consumer = new RabbitConsumer(this, this.queueName(queue), handler as QueueHandler<unknown>, Math.max(1, options.prefetch), this.bounds, this.logger);
    this.consumers.add(consumer);
    await this.attachNow(consumer, () => this.consumers.delete(consumer));
    return consumer;
  }

  async publish<T extends TopicName>(topic: T, event: TopicEvents[T]): Promise<void> {
    const body = Buffer.from(encodeMessage(topic, event));
    await this.waitReady();
    const events = this.events;
    if (events === undefined) throw unavailable(this.options.url, this.enqueueTimeoutMs);
    try {
      events.publish(this.exchange, topic, body, { persistent: false, contentType: 'application/json' });
    } catch (cause) {
      throw new PackrunError('BUS_UNAVAILABLE', `the event for ${topic} could not be published: the broker connection dropped`, {
        details: { topic },
        cause,
        userError: false,
      });
    }
  }

  async subscribe<T extends TopicName>(topic: T, handler: TopicHandler<TopicEvents[T]>): Promise<Subscription> {
    if (this.closed) throw closedError();
    const subscription = new RabbitSubscription(this.exchange, topic, handler as TopicHandler<unknown>, this.bounds, this.logger);
    this.subscriptions.add(subscription);
    await this.attachNow(subscription, () => this.subscriptions.delete(subscription));
    return {
      unsubscribe: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.isReady = false;
    clearTimeout(this.reconnectTimer);
    for (const wake of this.readyWaiters) wake();
    for (const message of [...this.pending]) message.settle(closedError());
    for (const consumer of this.consumers) consumer.detach();
    this.consumers.clear();
    this.subscriptions.clear();
    const model = this.model;
    this.model = undefined;
    // Closing the connection hands every unacked message back to the broker.
    if (model !== undefined) await model.close().catch(() => undefined);
  }
}

class RabbitConsumer implements Consumer {
  private channel: Channel | undefined;
  private attachedTo: ChannelModel | undefined;
  private tag: string | undefined;
  private active = true;
  private inFlight = 0;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly bus: RabbitMqBus,
    private readonly queue: string,
    private readonly handler: QueueHandler<unknown>,
    private readonly prefetch: number,
    private readonly bounds: JsonBounds,
    private readonly logger: Logger | undefined,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    if (!this.active || this.attachedTo === model) return;
    this.attachedTo = model;
    try {
      await this.openChannel(model);
    } catch (error) {
      if (this.attachedTo === model) this.attachedTo = undefined;
      throw error;
    }
  }

  private async openChannel(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.logger?.warn({ err: error, queue: this.queue }, 'consumer channel error'));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.attachedTo = undefined;
      // The broker closed this channel alone (e.g. a protocol error) while the connection lives on:
      // consume again. After a connection loss the bus re-attaches every consumer itself.
      setTimeout(() => {
        if (this.active && this.channel === undefined && this.bus.isConnection(model)) {
          this.attach(model).catch((error: unknown) => this.logger?.warn({ err: error, queue: this.queue }, 'could not consume again'));
        }
      }, 500);
    });
    await channel.prefetch(this.prefetch);
    this.channel = channel;
    const { consumerTag } = await channel.consume(this.queue, (message) => this.deliver(channel, message), { noAck: false });
    this.tag = consumerTag;
  }

  /** The connection is gone: the broker has already requeued whatever this consumer held. */
  detach(): void {
    this.channel = undefined;
    this.attachedTo = undefined;
    this.tag = undefined;
  }

  private deliver(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.logger?.warn({ queue: this.queue }, 'the broker cancelled the consumer (queue deleted?)');
      return;
    }
    let body: unknown;
    try {
      body = decodeBrokerMessage(message.content, this.bounds);
    } catch (error) {
      this.logger?.error({ err: error, queue: this.queue }, 'dropping a message that is not JSON or is over the input limits');
      channel.nack(message, false, false);
      return;
    }
    this.inFlight += 1;
    Promise.resolve()
      .then(() => this.handler(body, { redelivered: message.fields.redelivered }))
      .then(
        () => this.settle(channel, () => channel.ack(message)),
        (error: unknown) => {
          this.logger?.debug({ err: error, queue: this.queue }, 'handler rejected a message; requeued');
          this.settle(channel, () => channel.nack(message, false, true));
        },
      );
  }

  // A delivery tag belongs to its channel: after a reconnect or an abandon the broker has requeued
  // the message already, and acking it on another channel would be a protocol error.
  private settle(channel: Channel, ack: () => void): void {
    this.inFlight -= 1;
    if (this.channel === channel) {
      try {
        ack();
      } catch (error) {
        this.logger?.warn({ err: error, queue: this.queue }, 'could not settle a message; the broker will redeliver it');
      }
    }
    for (const wake of this.idle) wake();
  }

  async cancel(options: CancelOptions = {}): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.bus.consumers.delete(this);
    const channel = this.channel;
    if (channel === undefined) return;
    if (options.abandon !== true) {
      if (this.tag !== undefined) await channel.cancel(this.tag).catch(() => undefined);
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.inFlight > 0 && this.channel === channel) return;
          this.idle.delete(check);
          resolve();
        };
        this.idle.add(check);
        check();
      });
    }
    this.channel = undefined;
    await channel.close().catch(() => undefined);
  }
}

class RabbitSubscription {
  private channel: Channel | undefined;
  private attachedTo: ChannelModel | undefined;
  private closed = false;

  constructor(
    private readonly exchange: string,
    private readonly topic: string,
    private readonly handler: TopicHandler<unknown>,
    private readonly bounds: JsonBounds,
    private readonly logger: Logger | undefined,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    if (this.closed || this.attachedTo === model) return;
    this.attachedTo = model;
    try {
      await this.openChannel(model);
    } catch (error) {
      if (this.attachedTo === model) this.attachedTo = undefined;
      throw error;
    }
  }

  detach(): void {
    this.channel = undefined;
    this.attachedTo = undefined;
  }

  private async openChannel(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.logger?.warn({ err: error, topic: this.topic }, 'subscription channel error'));
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, this.exchange, this.topic);
    this.channel = channel;
    await channel.consume(queue, (message) => {
      if (message === null) return;
      Promise.resolve()
        .then(() => this.handler(decodeBrokerMessage(message.content, this.bounds)))
        .catch((error: unknown) => this.logger?.warn({ err: error, topic: this.topic }, 'event handler failed'));
    }, { noAck: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    const channel = this.channel;
    this.channel = undefined;
    if (channel !== undefined) await channel.close().catch(() => undefined);
  }
}

function closedError(): PackrunError {
  return new PackrunError('BUS_CLOSED', 'the bus is closed', { userError: false });
}

function unavailable(url: string, timeoutMs: number, consequence?: string): PackrunError {
  return new PackrunError('BUS_UNAVAILABLE', `RabbitMQ at ${redacted(url)} was unreachable for ${timeoutMs} ms${consequence === undefined ? '' : `; ${consequence}`}`, {
    hint: 'check that RabbitMQ is running and PACKRUN_RABBITMQ_URL points at it',
    details: { timeoutMs },
  });
}
