import type { ExecutionStatus } from '../execution.ts';
import type { TriggerInstanceRecord } from '../store/types.ts';

/**
 * The Bus: durable work queues plus transient fan-out topics, over RabbitMQ (distributed) or in
 * memory (embedded). The contract suite in test/bus/ keeps both behaving the same.
 *
 * Queues: each message goes to exactly one consumer, survives broker restarts, and is acked only
 * when the handler's promise resolves; a rejected handler or a consumer that goes away puts the
 * message back (redelivered: true). Delivery is at-least-once: handlers must be idempotent, and the
 * runner uses `redelivered` to spot requests whose previous runner died.
 *
 * Topics: every current subscriber gets every event published after it subscribed; nothing is
 * kept for absent subscribers.
 */

/** What the API (or the rules engine) queues for an action runner. The store holds the truth. */
export interface ExecutionRequestMessage {
  executionId: string;
  /** Action ref. */
  action: string;
  /** Parameters as stored: secret values masked (the claiming runner gets them from the store). */
  parameters: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** A trigger firing, queued by a sensor or webhook for the rules engine. */
export interface TriggerInstanceMessage {
  /** TriggerInstanceRecord id when already stored, else the rules engine stores it. */
  id: string;
  /** Trigger ref (or trigger type ref). */
  trigger: string;
  payload: Record<string, unknown>;
  occurredAt: string;
  traceTag?: string;
  source?: string;
}

/**
 * Tells a workflow engine that a workflow execution may have something to do: it was requested,
 * one of its children ended, a pause, resume or cancel was asked. It carries no event: the store
 * holds the truth, and the engine that takes the message reads what changed from there, so a
 * duplicate or a lost message costs a wake-up, never a step.
 */
export interface WorkflowWakeMessage {
  workflowId: string;
  reason: 'requested' | 'child-ended' | 'control';
}

export interface QueueMessages {
  executions: ExecutionRequestMessage;
  'trigger-instances': TriggerInstanceMessage;
  workflows: WorkflowWakeMessage;
}
export type QueueName = keyof QueueMessages;
export const queueNames: readonly QueueName[] = ['executions', 'trigger-instances', 'workflows'];

/** An execution changed state; the live stream and waiting CLIs listen. */
export interface ExecutionUpdateEvent {
  executionId: string;
  status: ExecutionStatus;
  at: string;
  /**
   * Extra fields that changed (result, endedAt, ...), when the publisher has them handy. A result
   * over 64 KiB of JSON is left out (`resultOmitted: true`): the stored execution has it.
   */
  changes?: Record<string, unknown>;
}

/** A piece of an execution's live output. `seq` increases per execution and stream. */
export interface OutputChunkEvent {
  executionId: string;
  stream: 'stdout' | 'stderr';
  seq: number;
  data: string;
}

/** Ask whichever runner holds the execution to stop it. */
export interface CancelRequestEvent {
  executionId: string;
  requestedBy?: string;
  at: string;
}

/**
 * A message an `announcement` action broadcast (StackStorm publishes these on its
 * `st2.announcement` exchange under the route as routing key); the API streams it as the event
 * `st2.announcement__<route>`.
 */
export interface AnnouncementEvent {
  /** Dot-separated words (announcementRoute): it names a stream event, so nothing else is sent. */
  route: string;
  /** The action's parameters, as StackStorm's announcement runner sends them. */
  payload: Record<string, unknown>;
  executionId: string;
  at: string;
}

/** StackStorm's routing keys: words separated by dots; never anything that could break an event stream's framing. */
export const announcementRoute = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * A sensor's state changed: its process started, stopped, crashed or was restarted, or it was
 * enabled or disabled. It names the sensor only: whoever streams it reads the state from where
 * the REST API does (the container in the process, else the state it wrote to the record, which it
 * has written before it publishes), so an event from anyone on the broker shows nothing new.
 */
export interface SensorUpdateEvent {
  ref: string;
  at: string;
}

/** A trigger instance was stored (`created`) or its status changed; the store holds it. */
export interface TriggerInstanceUpdateEvent {
  id: string;
  status: TriggerInstanceRecord['status'];
  created: boolean;
  at: string;
}

export interface TopicEvents {
  'execution-updates': ExecutionUpdateEvent;
  'execution-output': OutputChunkEvent;
  'execution-cancel': CancelRequestEvent;
  announcements: AnnouncementEvent;
  'sensor-updates': SensorUpdateEvent;
  'trigger-instance-updates': TriggerInstanceUpdateEvent;
}
export type TopicName = keyof TopicEvents;

export interface DeliveryInfo {
  /** True when this message was handed out before and not acked (its consumer died or failed). */
  redelivered: boolean;
}

/** Resolve = ack; reject = nack and requeue (it comes back with redelivered: true). */
export type QueueHandler<M> = (message: M, info: DeliveryInfo) => Promise<void>;
export type TopicHandler<E> = (event: E) => void | Promise<void>;

export interface ConsumeOptions {
  /** Messages handed out at once and not yet acked: the consumer's concurrency. */
  prefetch: number;
}

export interface CancelOptions {
  /**
   * Give unsettled messages back at once, as if this consumer had died: they are redelivered (to
   * another consumer) with redelivered: true, and their handlers' later outcome is ignored.
   */
  abandon?: boolean;
}

export interface Consumer {
  /**
   * Stops new deliveries. By default waits for handlers in flight to settle (their acks still
   * count); see CancelOptions.abandon. Messages unsettled when the bus closes go back to the queue.
   */
  cancel(options?: CancelOptions): Promise<void>;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface Bus {
  readonly kind: 'inprocess' | 'rabbitmq';
  /** True while connected with topology declared; false during an outage. For readiness checks. */
  readonly ready: boolean;
  /** Resolves once ready; BUS_UNAVAILABLE after `timeoutMs`. */
  waitReady(timeoutMs?: number): Promise<void>;
  /**
   * Queues a persistent message. Resolves only when the broker confirmed it. During an outage it
   * waits for the reconnect (bounded: BUS_UNAVAILABLE after the enqueue timeout) and resends what was
   * not confirmed: a message is never dropped silently.
   */
  enqueue<Q extends QueueName>(queue: Q, message: QueueMessages[Q]): Promise<void>;
  /** Starts consuming; the consumer survives reconnects (re-registered by the bus). */
  consume<Q extends QueueName>(queue: Q, handler: QueueHandler<QueueMessages[Q]>, options: ConsumeOptions): Promise<Consumer>;
  /** Fans an event out to current subscribers. Best effort during an outage: waits (bounded) for the bus. */
  publish<T extends TopicName>(topic: T, event: TopicEvents[T]): Promise<void>;
  subscribe<T extends TopicName>(topic: T, handler: TopicHandler<TopicEvents[T]>): Promise<Subscription>;
  /** Cancels consumers and subscriptions and disconnects. */
  close(): Promise<void>;
}
