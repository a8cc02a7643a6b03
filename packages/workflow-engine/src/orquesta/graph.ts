import { engineCommands, type RetrySpec, type TaskSpec, type WorkflowSpec } from './spec.ts';

/**
 * The task graph orquesta composes from a workflow: nodes are tasks and the engine commands
 * named in `do` (`fail`, `noop`, `continue`); an edge per (task, next task, `next` entry) with
 * its `when`. Edges between the same two tasks are numbered (`key`), which makes the transition
 * ids (`task2__t0`) that task state and error entries use. Computed once per definition.
 */

export interface Transition {
  from: string;
  to: string;
  key: number;
  /** The `when` expressions that must all be true (none: always). */
  criteria: string[];
  /** Index of the `next` entry this edge came from. */
  ref: number;
}

interface RetryRule {
  when: string | undefined;
  count: RetrySpec['count'];
  delay: RetrySpec['delay'];
}

/** (next task, condition, `next` index) for each name in each `do`, sorted by name as orquesta does. */
export function nextTasksOf(task: TaskSpec | undefined): { to: string; when: string | undefined; ref: number }[] {
  if (task === undefined) return [];
  const entries = task.next.flatMap((transition) => transition.do.map((to) => ({ to, when: transition.when, ref: transition.index })));
  return entries.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
}

export class WorkflowGraph {
  readonly roots: string[];
  readonly nodes = new Set<string>();
  private readonly outgoing = new Map<string, Transition[]>();
  private readonly incoming = new Map<string, Transition[]>();
  private readonly previousCount = new Map<string, number>();
  private readonly cycles = new Map<string, boolean>();
  readonly retries = new Map<string, RetryRule>();

  constructor(readonly spec: WorkflowSpec) {
    for (const [name, task] of spec.tasks) {
      for (const next of nextTasksOf(task)) this.previousCount.set(next.to, (this.previousCount.get(next.to) ?? 0) + 1);
      if (task.retry !== undefined) this.retries.set(name, { when: task.retry.when, count: task.retry.count, delay: task.retry.delay });
    }
    this.roots = [...spec.tasks.keys()].filter((name) => !this.previousCount.has(name)).sort();
    const queue = [...this.roots];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const name = queue.shift()!;
      this.nodes.add(name);
      for (const next of nextTasksOf(spec.tasks.get(name))) {
        if (next.to === 'retry') {
          // `do: retry` is a retry of this task, three times by default, while the condition holds.
          this.retries.set(name, { when: next.when ?? '<% completed() %>', count: 3, delay: undefined });
          continue;
        }
        const existing = (this.outgoing.get(name) ?? []).filter((edge) => edge.to === next.to);
        const transition: Transition = { from: name, to: next.to, key: existing.length, criteria: next.when === undefined ? [] : [next.when], ref: next.ref };
        this.outgoing.set(name, [...(this.outgoing.get(name) ?? []), transition]);
        this.incoming.set(next.to, [...(this.incoming.get(next.to) ?? []), transition]);
        if (!seen.has(next.to) && (spec.tasks.has(next.to) || engineCommands.has(next.to))) {
          seen.add(next.to);
          queue.push(next.to);
        }
      }
    }
  }

  task(name: string): TaskSpec | undefined {
    return this.spec.tasks.get(name);
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  next(name: string): Transition[] {
    return this.outgoing.get(name) ?? [];
  }

  previous(name: string): Transition[] {
    return this.incoming.get(name) ?? [];
  }

  /** "*" for `join: all`, the count for `join: n`, undefined for a task that is no join. */
  barrier(name: string): '*' | number | undefined {
    const join = this.spec.tasks.get(name)?.join;
    return join === undefined ? undefined : join === 'all' ? '*' : join;
  }

  /** Reached from more than one `do` and not a join: each path that reaches it gets its own route. */
  isSplit(name: string): boolean {
    return this.barrier(name) === undefined && (this.previousCount.get(name) ?? 0) > 1;
  }

  inCycle(name: string): boolean {
    const known = this.cycles.get(name);
    if (known !== undefined) return known;
    const traversed = new Set<string>();
    const queue = nextTasksOf(this.spec.tasks.get(name)).map((next) => next.to);
    let found = false;
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (current === name) {
        found = true;
        break;
      }
      if (traversed.has(current)) continue;
      traversed.add(current);
      for (const next of nextTasksOf(this.spec.tasks.get(current))) queue.push(next.to);
    }
    this.cycles.set(name, found);
    return found;
  }

  barriers(): string[] {
    return [...this.nodes].filter((name) => this.barrier(name) !== undefined);
  }
}
