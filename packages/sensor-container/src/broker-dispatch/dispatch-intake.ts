import { createHash } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { PackrunError, parseBoundedJson, type Bus, type JsonBounds, type Logger, type Store } from '@packrun/core';
import { dispatchTrigger, dispatchedTriggerRef } from '@packrun/rules-engine';
import { dispatchExchange, dispatchQueue } from './dispatch-topology.ts';
import { RecentIds } from './recent-ids.ts';

export interface DispatchIntakeOptions {
  /** Packrun's own broker URL (it declares the exchange and reads the queue). */
  url: string;
  prefix: string;
  store: Store;
  bus: Bus;
  logger: Logger;
  /** What a message is held to before it is parsed: a trigger payload's bounds with the dispatch around it. */
  bounds: JsonBounds;
  prefetch?: number;
}

export interface DispatchIntakeCounts {
  accepted: number;
  /** Payload does not match payload_schema, unknown trigger, no message id, not JSON. */
  invalid: number;
  /** A trigger outside the pack the routing key names. */
  foreign: number;
  /** The same message id seen again (a publisher resending after a lost confirm). */
  duplicates: number;
}

export interface DispatchIntake {
  readonly counts: DispatchIntakeCounts;
  readonly ready: boolean;
  stop(): Promise<void>;
}

/** Trigger instance ids are derived, so a second copy of a dispatch is one instance to the rules engine too. */
export function dispatchInstanceId(pack: string, messageId: string): string {
  return createHash('sha256').update(`${pack}\0${messageId}`).digest('hex').slice(0, 24);
}

/**
 * The runtime side of direct sensor publishing: declares the dispatch exchange and its durable
 * queue, and turns each message into a trigger instance on the trigger-instances path. A message
 * is checked before it counts: its routing key's pack must own the trigger, the payload must
 * match the trigger type's payload_schema, and its message id must be new (the publisher resends
 * when a confirm was lost). Rejected messages are logged, counted and dropped; a message that
 * could not be queued for the rules engine (broker trouble) goes back to the queue.
 */
export async function startDispatchIntake(options: DispatchIntakeOptions): Promise<DispatchIntake> {
  const log = options.logger.child({ component: 'dispatch-intake' });
  const exchange = dispatchExchange(options.prefix);
  const queue = dispatchQueue(options.prefix);
  const counts: DispatchIntakeCounts = { accepted: 0, invalid: 0, foreign: 0, duplicates: 0 };
  const seen = new RecentIds(100_000);
  const inFlight = new Map<string, Promise<void>>();
  let model: ChannelModel | undefined;
  let ready = false;
  let stopped = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let firstReady: (() => void) | undefined;
  const readyOnce = new Promise<void>((resolve) => {
    firstReady = resolve;
  });

  function drop(kind: 'invalid' | 'foreign', details: Record<string, unknown>, why: string): void {
    counts[kind] += 1;
    log.warn({ ...details, dropped: counts[kind] }, `sensor dispatch dropped: ${why}`);
  }

  async function handle(message: ConsumeMessage): Promise<void> {
    const routingKey = message.fields.routingKey;
    const pack = routingKey.split('.')[0] ?? '';
    const messageId = typeof message.properties.messageId === 'string' ? message.properties.messageId : '';
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = parseBoundedJson(message.content, options.bounds.limits, options.bounds.subject);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
      body = parsed as Record<string, unknown>;
    } catch (error) {
      drop('invalid', { routingKey }, `the body is not a JSON object within the input limits: ${(error as Error).message}`);
      return;
    }
    const trigger = dispatchedTriggerRef(body['trigger']);
    if (messageId === '' || trigger === undefined) {
      drop('invalid', { routingKey, trigger }, 'no message id or no trigger');
      return;
    }
    // RabbitMQ lets a pack's identity publish only with routing keys `<pack>.`; whether the
    // trigger is that pack's own is checked on its resolved type (dispatchTrigger's fromPack).
    if (pack === '') {
      drop('foreign', { routingKey, trigger }, 'the routing key names no pack');
      return;
    }
    const key = `${pack}\0${messageId}`;
    const running = inFlight.get(key);
    if (running || seen.has(key)) {
      counts.duplicates += 1;
      if (running) await running;
      return;
    }
    const payload = body['payload'];
    const traceTag = body['trace_tag'];
    const sensor = body['sensor'];
    const work = dispatchTrigger(options.store, options.bus, {
      id: dispatchInstanceId(pack, messageId),
      trigger,
      fromPack: pack,
      payload: typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {},
      source: typeof sensor === 'string' && sensor.startsWith(`${pack}.`) ? sensor : `${pack} sensor`,
      ...(typeof traceTag === 'string' ? { traceTag } : {}),
    }).then(() => {
      seen.add(key);
      counts.accepted += 1;
    });
    inFlight.set(key, work);
    try {
      await work;
    } catch (error) {
      if (error instanceof PackrunError && error.code === 'TRIGGER_NOT_OWNED') {
        drop('foreign', { routingKey, trigger }, error.message);
        return;
      }
      if (error instanceof PackrunError && (error.code === 'TRIGGER_PAYLOAD_INVALID' || error.code === 'TRIGGER_NOT_FOUND')) {
        drop('invalid', { routingKey, trigger, err: error }, error.message);
        return;
      }
      throw error;
    } finally {
      inFlight.delete(key);
    }
  }

  function deliver(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) return;
    handle(message).then(
      () => settle(() => channel.ack(message)),
      (error: unknown) => {
        log.warn({ err: error }, 'could not queue a sensor dispatch; it goes back to the queue');
        // A pause so a bus outage does not spin the message around.
        setTimeout(() => settle(() => channel.nack(message, false, true)), 500);
      },
    );
  }

  function settle(ack: () => void): void {
    try {
      ack();
    } catch {
      // The channel is gone: the broker has requeued the message already.
    }
  }

  async function connect(): Promise<void> {
    timer = undefined;
    if (stopped) return;
    let current: ChannelModel | undefined;
    try {
      current = await amqp.connect(options.url, { timeout: 10_000 });
      const connection = current;
      model = connection;
      connection.on('error', (error: Error) => log.warn({ err: error }, 'broker connection error'));
      connection.on('close', () => {
        if (model !== connection) return;
        model = undefined;
        ready = false;
        if (!stopped) {
          log.warn('lost the broker connection; reconnecting');
          retry();
        }
      });
      const channel = await connection.createChannel();
      channel.on('error', (error: Error) => log.warn({ err: error }, 'intake channel error'));
      channel.on('close', () => {
        if (model === connection) void connection.close().catch(() => undefined);
      });
      await channel.assertExchange(exchange, 'topic', { durable: true });
      await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, exchange, '#');
      await channel.prefetch(options.prefetch ?? 16);
      await channel.consume(queue, (message) => deliver(channel, message), { noAck: false });
      ready = true;
      attempt = 0;
      firstReady?.();
    } catch (error) {
      log.warn({ err: error, attempt }, 'cannot reach the broker for sensor dispatches; retrying');
      if (current !== undefined && model === current) model = undefined;
      await current?.close().catch(() => undefined);
      retry();
    }
  }

  function retry(): void {
    if (stopped || timer !== undefined) return;
    const delay = Math.min(5_000, 100 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    attempt += 1;
    timer = setTimeout(() => void connect(), delay);
  }

  void connect();
  // The exchange must exist before a sensor publishes; a broker that is down now is waited for by
  // the sensors' own buffers, so do not hold the container's start for more than a moment.
  await Promise.race([readyOnce, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  return {
    counts,
    get ready() {
      return ready;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const current = model;
      model = undefined;
      ready = false;
      await Promise.allSettled([...inFlight.values()]);
      await current?.close().catch(() => undefined);
    },
  };
}
