import type { ChildRequest, ItemEnd, Json, StepEnvironment, StepResult, WorkflowEvent } from '../../driver.ts';
import { ItemsNeeded, KeyValueNeeded } from '../../driver.ts';
import { orquestaDriver, type OrquestaDefinition } from '../driver.ts';

/**
 * Runs an Orquesta workflow through the driver the way the runtime would, with child executions
 * simulated: each child started is answered by `respond` (in the order started), timers fire
 * when nothing else is pending, in time order. For the driver's unit tests only.
 */

export type ChildOutcome = { status: 'succeeded' | 'failed' | 'timeout' | 'canceled' | 'abandoned'; result: Json } | 'hold';

export interface SimulationOptions {
  input?: Record<string, Json>;
  context?: Record<string, Json>;
  keyValues?: Record<string, string>;
  respond?: (request: ChildRequest, simulation: Simulation) => ChildOutcome;
  file?: string;
}

export const succeed = (result: Json = null): ChildOutcome => ({ status: 'succeeded', result });
export const fail = (result: Json = null): ChildOutcome => ({ status: 'failed', result });

export class Simulation {
  readonly definition: OrquestaDefinition;
  state: Json | undefined;
  last: StepResult | undefined;
  now = 1_000_000;
  /** Every child started, in order. */
  readonly started: ChildRequest[] = [];
  readonly held: ChildRequest[] = [];
  readonly canceled: string[] = [];
  readonly paused: string[] = [];
  readonly resumed: string[] = [];
  private queue: ChildRequest[] = [];
  private timers: { timerId: string; fireAt: number }[] = [];
  /** Keys the runtime has loaded, as `scope.name`. */
  private readonly loaded = new Set<string>();
  /** With-items lists as the runtime keeps them beside the workflow, and those loaded for the current step. */
  readonly itemLists = new Map<string, Array<ItemEnd | null>>();
  private readonly loadedLists = new Set<string>();

  constructor(
    yaml: string,
    private readonly options: SimulationOptions = {},
  ) {
    this.definition = orquestaDriver.inspect({ pack: 'examples', file: options.file ?? 'workflow.yaml', text: yaml });
  }

  get status(): string | undefined {
    return this.last?.status;
  }

  get result(): Json | undefined {
    return this.last?.result;
  }

  /** Task names of the children started, in order (`task1`, `task2[0]` for items). */
  get sequence(): string[] {
    return this.started.map((request) => {
      const orquesta = request.context['orquesta'] as Record<string, Json>;
      return `${String(orquesta['task_id'])}${orquesta['item_id'] === undefined ? '' : `[${String(orquesta['item_id'])}]`}`;
    });
  }

  private environment(): StepEnvironment {
    return {
      now: this.now,
      keyValue: (name, { scope }) => {
        const key = `${scope}.${name}`;
        if (!this.loaded.has(key)) throw new KeyValueNeeded(name, scope, false);
        return this.options.keyValues?.[key];
      },
      items: (list) => {
        if (!this.loadedLists.has(list)) throw new ItemsNeeded(list);
        return [...(this.itemLists.get(list) ?? [])];
      },
    };
  }

  /** One event, with the runtime's retry when a datastore key must be loaded first. */
  send(event: WorkflowEvent): StepResult {
    const before = JSON.stringify(this.state);
    for (;;) {
      try {
        const result = orquestaDriver.step(this.definition, this.state, event, this.environment());
        // A step is pure: the state it was given is left as it was (the runtime may run it again).
        if (JSON.stringify(this.state) !== before) throw new Error(`the driver changed the state it was given (${event.kind})`);
        this.apply(result);
        // The runtime loads lists afresh for every step.
        this.loadedLists.clear();
        return result;
      } catch (error) {
        if (error instanceof ItemsNeeded) {
          this.loadedLists.add(error.list);
          continue;
        }
        if (!(error instanceof KeyValueNeeded)) throw error;
        this.loaded.add(`${error.scope}.${error.key}`);
      }
    }
  }

  private apply(result: StepResult): void {
    // As the runtime persists it: JSON, so nothing of one step's objects reaches the next.
    this.state = JSON.parse(JSON.stringify(result.state)) as Json;
    this.last = result;
    for (const item of result.items ?? []) {
      const list = this.itemLists.get(item.list) ?? [];
      list[item.index] = JSON.parse(JSON.stringify({ status: item.status, result: item.result })) as ItemEnd;
      this.itemLists.set(item.list, list);
    }
    this.started.push(...result.start);
    this.queue.push(...result.start);
    this.timers.push(...result.timers);
    this.canceled.push(...result.cancel);
    this.paused.push(...result.pause);
    this.resumed.push(...result.resume);
  }

  begin(): this {
    this.send({ kind: 'start', input: this.options.input ?? {}, context: this.options.context ?? {} });
    return this;
  }

  /** Answers children and fires timers until nothing is left to do (held children stay held). */
  drain(limit = 10_000): this {
    for (let steps = 0; steps < limit; steps++) {
      const request = this.queue.shift();
      if (request !== undefined) {
        const outcome = (this.options.respond ?? (() => succeed()))(request, this);
        if (outcome === 'hold') this.held.push(request);
        else this.finish(request.requestId, outcome.status, outcome.result);
        continue;
      }
      this.timers.sort((a, b) => a.fireAt - b.fireAt);
      const timer = this.timers.shift();
      if (timer === undefined) return this;
      this.now = Math.max(this.now, timer.fireAt);
      this.send({ kind: 'timer-fired', timerId: timer.timerId });
    }
    throw new Error('the simulation did not settle');
  }

  /** Reports a held (or any) child's end. */
  finish(requestId: string, status: 'succeeded' | 'failed' | 'timeout' | 'canceled' | 'abandoned', result: Json = null): StepResult {
    const index = this.held.findIndex((request) => request.requestId === requestId);
    if (index !== -1) this.held.splice(index, 1);
    return this.send({ kind: 'child-ended', requestId, status, result });
  }

  run(): this {
    return this.begin().drain();
  }
}

export function simulate(yaml: string, options: SimulationOptions = {}): Simulation {
  return new Simulation(yaml, options).run();
}
