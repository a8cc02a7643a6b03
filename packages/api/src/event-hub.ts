import { EventEmitter } from 'node:events';
import { announcementRoute, isCompleted, type Bus, type OutputChunkEvent, type Subscription, type TopicEvents } from '@packrun/core';

export type HubEvent =
  | { topic: 'execution-updates'; event: TopicEvents['execution-updates'] }
  | { topic: 'execution-output'; event: TopicEvents['execution-output'] }
  | { topic: 'announcements'; event: TopicEvents['announcements'] }
  | { topic: 'sensor-updates'; event: TopicEvents['sensor-updates'] }
  | { topic: 'trigger-instance-updates'; event: TopicEvents['trigger-instance-updates'] };

/** The hub's events about one execution. */
export type ExecutionHubEvent = Extract<HubEvent, { topic: 'execution-updates' | 'execution-output' }>;

export function isExecutionEvent(item: HubEvent): item is ExecutionHubEvent {
  return item.topic === 'execution-updates' || item.topic === 'execution-output';
}


/** Output kept per running execution for late readers, until it completes. */
const bufferCap = 1024 * 1024;
/**
 * Output kept for all running executions together; past it the oldest executions' go (a late
 * reader of those gets their output from the store once they complete), so the hub's memory stays
 * bounded whatever runs, and whatever completion events were missed.
 */
const bufferTotal = 64 * 1024 * 1024;

/**
 * One bus subscription per topic for the whole API process; SSE connections and output readers
 * attach here rather than each opening its own queue on the broker. It also keeps the output of
 * running executions, which the store only receives with the result.
 */
export class EventHub {
  private readonly emitter = new EventEmitter();
  private readonly output = new Map<string, { chunks: OutputChunkEvent[]; bytes: number }>();
  private bufferedBytes = 0;
  private subscriptions: Subscription[] = [];

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  async start(bus: Bus): Promise<void> {
    this.subscriptions = await Promise.all([
      bus.subscribe('execution-updates', (event) => {
        if (isCompleted(event.status)) this.forget(event.executionId);
        this.emitter.emit('event', { topic: 'execution-updates', event } satisfies HubEvent);
      }),
      bus.subscribe('execution-output', (event) => {
        this.keep(event);
        this.emitter.emit('event', { topic: 'execution-output', event } satisfies HubEvent);
      }),
      bus.subscribe('announcements', (event) => {
        if (!announcementRoute.test(event.route)) return;
        this.emitter.emit('event', { topic: 'announcements', event } satisfies HubEvent);
      }),
      bus.subscribe('sensor-updates', (event) => {
        this.emitter.emit('event', { topic: 'sensor-updates', event } satisfies HubEvent);
      }),
      bus.subscribe('trigger-instance-updates', (event) => {
        this.emitter.emit('event', { topic: 'trigger-instance-updates', event } satisfies HubEvent);
      }),
    ]);
  }

  on(listener: (event: HubEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Output seen so far of an execution still running. */
  outputOf(executionId: string): OutputChunkEvent[] {
    return [...(this.output.get(executionId)?.chunks ?? [])];
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.map((subscription) => subscription.unsubscribe().catch(() => undefined)));
    this.subscriptions = [];
    this.emitter.removeAllListeners();
  }

  private keep(event: OutputChunkEvent): void {
    let entry = this.output.get(event.executionId);
    if (!entry) {
      entry = { chunks: [], bytes: 0 };
      this.output.set(event.executionId, entry);
    }
    if (entry.bytes + event.data.length > bufferCap) return;
    while (this.bufferedBytes + event.data.length > bufferTotal && this.output.size > 1) {
      const oldest = this.output.keys().next().value!;
      if (oldest === event.executionId) break;
      this.forget(oldest);
    }
    entry.chunks.push(event);
    entry.bytes += event.data.length;
    this.bufferedBytes += event.data.length;
  }

  private forget(executionId: string): void {
    this.bufferedBytes -= this.output.get(executionId)?.bytes ?? 0;
    this.output.delete(executionId);
  }
}
