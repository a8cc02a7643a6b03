import { nowIso, type ExecutionRecord, type OutputChunkEvent, type RouteAccess, type St2Execution, type Store } from '@packrun/core';
import { st2TriggerInstance, triggerInstanceReadAccess } from '@packrun/rules-engine';
import { sensorReadAccess, sensorTypeViews, type SensorContainer } from '@packrun/sensor-container';
import type { EventHub, HubEvent } from '../event-hub.ts';
import { executionView } from './execution-view.ts';

/** One event of StackStorm's stream: its name (`st2.execution__update`...) and payload. */
export interface St2StreamEvent {
  event: string;
  data: unknown;
  /** The execution it is about, for st2's `execution_ids` filter (none for liveaction events, as st2). */
  executionId?: string;
  /** For st2's `action_refs` filter. */
  actionRef?: string;
  /** For st2's end condition: the execution's status in an execution event. */
  status?: ExecutionRecord['status'];
  /** The access class the REST route reading the same resource declares: a subscriber without it is not sent the event. */
  readAccess?: Exclude<RouteAccess, 'public'>;
}

export interface St2StreamEventsOptions {
  onError: (error: unknown) => void;
  /** The web UI's address while it is served, for st2's web_url. */
  webUiBase?: () => string | undefined;
  /** The sensor container of this process (embedded): sensors' live state; without it, what their records hold. */
  sensorContainer?: SensorContainer;
}

/** st2's ActionExecutionOutputAPI: one piece of output of one execution. */
export interface St2OutputEvent {
  id: string;
  execution_id: string;
  action_ref: string;
  runner_ref: string;
  timestamp: string;
  output_type: 'stdout' | 'stderr';
  data: string;
}

export function st2OutputEvent(chunk: OutputChunkEvent, of: { action: string; runner: string }): St2OutputEvent {
  return {
    id: `${chunk.executionId}.${chunk.stream}.${chunk.seq}`,
    execution_id: chunk.executionId,
    action_ref: of.action,
    runner_ref: of.runner,
    timestamp: nowIso(),
    output_type: chunk.stream,
    data: chunk.data,
  };
}

/** Executions whose action and runner are remembered for their output events. */
const rememberedExecutions = 10_000;

/**
 * StackStorm's stream events made from the hub's, once for every subscriber: an execution
 * update read from the store and serialized (st2.execution__create for the request,
 * st2.execution__update after, each with its st2.liveaction__* twin), output as
 * st2.execution.output__create, announcements as st2.announcement__<route>. Sensors and trigger
 * instances, which st2stream does not stream, are named as st2 names their exchanges' events
 * (`<exchange>__<routing key>`, st2.sensor__update) and sent as their REST routes show them.
 * Events are made in the order the hub gave them; nothing is read while nobody listens.
 */
export class St2StreamEvents {
  private readonly listeners = new Set<(event: St2StreamEvent) => void>();
  private readonly actionOf = new Map<string, { action: string; runner: string }>();
  private detachHub: (() => void) | undefined;
  private chain = Promise.resolve();

  constructor(
    private readonly hub: EventHub,
    private readonly store: Store,
    private readonly options: St2StreamEventsOptions,
  ) {}

  subscribe(listener: (event: St2StreamEvent) => void): () => void {
    this.listeners.add(listener);
    this.detachHub ??= this.hub.on((item) => {
      this.chain = this.chain.then(() => this.translate(item)).catch(this.options.onError);
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      this.detachHub?.();
      this.detachHub = undefined;
    };
  }

  private emit(event: St2StreamEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async translate(item: HubEvent): Promise<void> {
    if (item.topic === 'announcements') {
      this.emit({ event: `st2.announcement__${item.event.route}`, data: item.event.payload });
      return;
    }
    if (item.topic === 'execution-output') {
      const of = await this.whatRan(item.event.executionId);
      if (of === undefined) return;
      this.emit({ event: 'st2.execution.output__create', data: st2OutputEvent(item.event, of), executionId: item.event.executionId, actionRef: of.action });
      return;
    }
    if (item.topic === 'sensor-updates') {
      const container = this.options.sensorContainer;
      const [view] = await sensorTypeViews({ store: this.store, ...(container ? { container } : {}) }, { id: item.event.ref });
      if (view !== undefined) this.emit({ event: 'st2.sensor__update', data: view, readAccess: sensorReadAccess });
      return;
    }
    if (item.topic === 'trigger-instance-updates') {
      const instance = await this.store.triggerInstances.get(item.event.id);
      if (instance === undefined) return;
      // The status the event says, as for executions: the record may already be further on.
      const data = { ...st2TriggerInstance(instance), status: item.event.status };
      this.emit({ event: `st2.trigger_instance__${item.event.created ? 'create' : 'update'}`, data, readAccess: triggerInstanceReadAccess });
      return;
    }
    const record = await this.store.executions.get(item.event.executionId);
    if (record === undefined) return;
    const webUiBase = this.options.webUiBase?.();
    const view: St2Execution = await executionView(this.store, { ...record, status: item.event.status }, webUiBase === undefined ? {} : { webUiBase });
    this.remember(record.id, { action: view.action.ref, runner: view.runner.name });
    // An execution is requested once, when it is made: st2's create.
    const verb = item.event.status === 'requested' ? 'create' : 'update';
    this.emit({ event: `st2.execution__${verb}`, data: view, executionId: record.id, actionRef: view.action.ref, status: item.event.status });
    this.emit({ event: `st2.liveaction__${verb}`, data: view.liveaction, actionRef: view.action.ref });
  }

  private async whatRan(executionId: string): Promise<{ action: string; runner: string } | undefined> {
    const known = this.actionOf.get(executionId);
    if (known !== undefined) return known;
    const record = await this.store.executions.get(executionId);
    if (record === undefined) return undefined;
    const of = { action: record.action, runner: record.runnerType ?? '' };
    this.remember(executionId, of);
    return of;
  }

  private remember(executionId: string, of: { action: string; runner: string }): void {
    this.actionOf.delete(executionId);
    this.actionOf.set(executionId, of);
    if (this.actionOf.size > rememberedExecutions) this.actionOf.delete(this.actionOf.keys().next().value!);
  }
}
