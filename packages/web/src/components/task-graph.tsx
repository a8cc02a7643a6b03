import { isCompleted, type Execution } from '../api/types.ts';
import { followLink } from '../router.ts';
import { layOut, type Transition, type WorkflowGraph } from './workflow-graph.ts';

/** The task a workflow's child execution ran for: Orquesta's `context.orquesta.task_name`, an action chain's `context.chain.name`. */
export function taskNameOf(child: Execution): string | undefined {
  for (const runner of ['orquesta', 'chain'] as const) {
    const context = child.context[runner];
    if (typeof context !== 'object' || context === null) continue;
    const name = (context as Record<string, unknown>)[runner === 'orquesta' ? 'task_name' : 'name'];
    if (typeof name === 'string') return name;
  }
  return undefined;
}

/**
 * A task's state from its executions (several for with-items or retries): one still going wins,
 * then a failure, then the latest.
 */
export function taskState(runs: Execution[]): Execution | undefined {
  return runs.find((run) => !isCompleted(run.status)) ?? runs.find((run) => run.status !== 'succeeded') ?? runs.at(-1);
}

const nodeWidth = 168;
const nodeHeight = 48;
const columnGap = 32;
const rowGap = 44;

/** An edge from the bottom of one task to the top of another; a loop back goes round the right side. */
function edgePath(from: { x: number; y: number }, to: { x: number; y: number }, backward: boolean): string {
  if (backward) {
    const side = Math.max(from.x, to.x) + nodeWidth / 2 + columnGap / 2;
    return `M ${from.x + nodeWidth / 2} ${from.y + nodeHeight / 2} C ${side} ${from.y + nodeHeight / 2}, ${side} ${to.y + nodeHeight / 2}, ${to.x + nodeWidth / 2} ${to.y + nodeHeight / 2}`;
  }
  const start = { x: from.x, y: from.y + nodeHeight / 2 };
  const end = { x: to.x, y: to.y - nodeHeight / 2 };
  const middle = (start.y + end.y) / 2;
  return `M ${start.x} ${start.y} C ${start.x} ${middle}, ${end.x} ${middle}, ${end.x} ${end.y}`;
}

const transitionLabel = (transition: Transition): string =>
  `${transition.from} → ${transition.to}: ${transition.kind === 'success' ? 'on success' : transition.kind === 'failure' ? 'on failure' : transition.kind === 'always' ? 'always' : (transition.when ?? 'when')}`;

/**
 * The workflow's tasks as an SVG graph, top to bottom: each task a node with its status, a link to
 * its execution once it has one; transitions as arrows coloured by what they wait for. Names and
 * conditions come from a pack's file: they are put in as text, never as markup.
 */
export function TaskGraph({ graph, runs }: { graph: WorkflowGraph; runs: Map<string, Execution[]> }) {
  const layout = layOut(graph);
  const width = Math.max(1, layout.columns) * (nodeWidth + columnGap) + columnGap;
  const height = Math.max(1, layout.rows) * (nodeHeight + rowGap) + rowGap;
  const perRow = new Map<number, number>();
  for (const task of layout.tasks) perRow.set(task.row, (perRow.get(task.row) ?? 0) + 1);
  // Each row centred: the node's centre.
  const centre = new Map(
    layout.tasks.map((task) => {
      const count = perRow.get(task.row) ?? 1;
      const x = width / 2 + (task.column - (count - 1) / 2) * (nodeWidth + columnGap);
      const y = rowGap + task.row * (nodeHeight + rowGap) + nodeHeight / 2;
      return [task.name, { x, y }];
    }),
  );

  return (
    <svg class="task-graph" viewBox={`0 0 ${width} ${height}`} width={width} role="group" aria-label="Task graph">
      <defs>
        {(['success', 'failure', 'always', 'condition'] as const).map((kind) => (
          <marker id={`arrow-${kind}`} class={`arrow-${kind}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        ))}
      </defs>
      {graph.transitions.map((transition, index) => {
        const from = centre.get(transition.from);
        const to = centre.get(transition.to);
        if (!from || !to) return null;
        return (
          <path key={index} class={`transition transition-${transition.kind}`} d={edgePath(from, to, layout.backward.has(transition))} marker-end={`url(#arrow-${transition.kind})`}>
            <title>{transitionLabel(transition)}</title>
          </path>
        );
      })}
      {layout.tasks.map((task) => {
        const at = centre.get(task.name) as { x: number; y: number };
        const taskRuns = runs.get(task.name) ?? [];
        const state = taskState(taskRuns);
        const status = state?.status ?? 'not started';
        const node = (
          <g class={`task task-${status.replace(/[^a-z_]/g, '')}`} data-task={task.name} data-status={status}>
            <rect x={at.x - nodeWidth / 2} y={at.y - nodeHeight / 2} width={nodeWidth} height={nodeHeight} rx="6" />
            <text x={at.x} y={at.y - 5} class="task-name">
              {task.name.length > 22 ? `${task.name.slice(0, 21)}…` : task.name}
            </text>
            <text x={at.x} y={at.y + 13} class="task-status">
              {taskRuns.length > 1 ? `${status} ×${taskRuns.length}` : status}
            </text>
            <title>{`${task.name}: ${status}`}</title>
          </g>
        );
        return state ? (
          <a key={task.name} href={`/executions/${encodeURIComponent(state.id)}`} onClick={followLink} aria-label={`${task.name}: ${status}`}>
            {node}
          </a>
        ) : (
          <g key={task.name} aria-label={`${task.name}: not started`}>
            {node}
          </g>
        );
      })}
    </svg>
  );
}
