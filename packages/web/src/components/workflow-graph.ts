/**
 * A workflow's definition (an Orquesta workflow's or an action chain's YAML) read into a graph of
 * tasks and transitions, and laid out in rows for the task graph. Pure: no DOM, no fetching.
 */

/** What a transition waits for: the task succeeded, failed, either, or another condition. */
export type TransitionKind = 'success' | 'failure' | 'always' | 'condition';

export interface Transition {
  from: string;
  to: string;
  kind: TransitionKind;
  /** The condition as written (Orquesta's `when`), for the transition's tooltip. */
  when?: string;
}

export interface WorkflowGraph {
  tasks: string[];
  transitions: Transition[];
}

/** A definition that is not a workflow this view can draw. */
export class WorkflowGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowGraphError';
  }
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Orquesta's `do`: a task name, a comma-separated string of them, or a list. */
function targetsOf(value: unknown): string[] {
  const names = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  return names.map((name) => name.trim()).filter(Boolean);
}

function orquestaKind(when: unknown): TransitionKind {
  if (when === undefined || when === null) return 'always';
  const text = String(when);
  if (/^\s*(<%|\{\{)\s*succeeded\(\)\s*(%>|\}\})\s*$/.test(text)) return 'success';
  if (/^\s*(<%|\{\{)\s*failed\(\)\s*(%>|\}\})\s*$/.test(text)) return 'failure';
  return 'condition';
}

/** Orquesta: `tasks` by name, each with `next: [{when, do}]`; a `do` naming no task (noop, fail, retry) draws no edge. */
function orquestaGraph(definition: Record<string, unknown>): WorkflowGraph {
  const tasks = definition['tasks'];
  if (!isMapping(tasks)) throw new WorkflowGraphError('the workflow has no tasks');
  const names = Object.keys(tasks);
  const known = new Set(names);
  const transitions: Transition[] = [];
  for (const [from, task] of Object.entries(tasks)) {
    const next = isMapping(task) ? task['next'] : undefined;
    if (!Array.isArray(next)) continue;
    for (const step of next) {
      if (!isMapping(step)) continue;
      const kind = orquestaKind(step['when']);
      for (const to of targetsOf(step['do'])) {
        if (known.has(to)) transitions.push({ from, to, kind, ...(step['when'] === undefined ? {} : { when: String(step['when']) }) });
      }
    }
  }
  return { tasks: names, transitions };
}

/** An action chain: `chain: [{name, ref, on-success, on-failure}]`. */
function chainGraph(definition: Record<string, unknown>): WorkflowGraph {
  const chain = definition['chain'];
  if (!Array.isArray(chain)) throw new WorkflowGraphError('the action chain has no chain');
  const links = chain.filter(isMapping).filter((link) => typeof link['name'] === 'string');
  const names = links.map((link) => link['name'] as string);
  const known = new Set(names);
  const transitions: Transition[] = [];
  for (const link of links) {
    for (const [field, kind] of [['on-success', 'success'], ['on-failure', 'failure']] as const) {
      const to = link[field];
      if (typeof to === 'string' && known.has(to)) transitions.push({ from: link['name'] as string, to, kind });
    }
  }
  // The chain starts at `default` (or its first link): drawn first.
  const start = typeof definition['default'] === 'string' && known.has(definition['default']) ? definition['default'] : names[0];
  return { tasks: start === undefined ? names : [start, ...names.filter((name) => name !== start)], transitions };
}

/** The graph of a workflow definition, already parsed from YAML, by its runner. */
export function workflowGraph(runnerType: string, definition: unknown): WorkflowGraph {
  if (!isMapping(definition)) throw new WorkflowGraphError('the workflow file is not a YAML mapping');
  if (runnerType === 'action-chain') return chainGraph(definition);
  return orquestaGraph(definition);
}

/** The workflow runners whose executions have a task graph. */
export const workflowRunners: ReadonlySet<string> = new Set(['orquesta', 'action-chain']);

export interface PlacedTask {
  name: string;
  row: number;
  column: number;
}

export interface Layout {
  tasks: PlacedTask[];
  rows: number;
  columns: number;
  /** Transitions that lead back to an earlier row (a retry loop): drawn apart from the rest. */
  backward: Set<Transition>;
}

/**
 * Rows by the longest path from the tasks nothing leads to (each task below every task that leads
 * to it), loops broken where a depth-first walk meets a task it is still inside. Within a row, the
 * definition's order.
 */
export function layOut(graph: WorkflowGraph): Layout {
  const outgoing = new Map<string, Transition[]>(graph.tasks.map((name) => [name, []]));
  for (const transition of graph.transitions) outgoing.get(transition.from)?.push(transition);
  const backward = new Set<Transition>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string): void => {
    state.set(name, 'open');
    for (const transition of outgoing.get(name) ?? []) {
      const seen = state.get(transition.to);
      if (seen === 'open') backward.add(transition);
      else if (seen === undefined) visit(transition.to);
    }
    state.set(name, 'done');
  };
  const targets = new Set(graph.transitions.map((transition) => transition.to));
  for (const name of graph.tasks) if (!targets.has(name) && !state.has(name)) visit(name);
  for (const name of graph.tasks) if (!state.has(name)) visit(name);

  // Longest path over the forward transitions, in topological order (Kahn).
  const forward = graph.transitions.filter((transition) => !backward.has(transition));
  const waiting = new Map<string, number>(graph.tasks.map((name) => [name, 0]));
  for (const transition of forward) waiting.set(transition.to, (waiting.get(transition.to) ?? 0) + 1);
  const row = new Map<string, number>(graph.tasks.map((name) => [name, 0]));
  const ready = graph.tasks.filter((name) => waiting.get(name) === 0);
  while (ready.length > 0) {
    const name = ready.shift() as string;
    for (const transition of forward) {
      if (transition.from !== name) continue;
      row.set(transition.to, Math.max(row.get(transition.to) ?? 0, (row.get(name) ?? 0) + 1));
      const left = (waiting.get(transition.to) ?? 1) - 1;
      waiting.set(transition.to, left);
      if (left === 0) ready.push(transition.to);
    }
  }
  const perRow = new Map<number, number>();
  const tasks = graph.tasks.map((name) => {
    const at = row.get(name) ?? 0;
    const column = perRow.get(at) ?? 0;
    perRow.set(at, column + 1);
    return { name, row: at, column };
  });
  return { tasks, rows: Math.max(0, ...tasks.map((task) => task.row + 1)), columns: Math.max(0, ...perRow.values()), backward };
}
