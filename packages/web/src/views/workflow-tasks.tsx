import { useEffect, useState } from 'preact/hooks';
import { openStream } from '../api/stream.ts';
import { newerExecution, type Execution } from '../api/types.ts';
import { ErrorNote, Link, Loading, StatusBadge, Time } from '../components/common.tsx';
import { TaskGraph, taskNameOf } from '../components/task-graph.tsx';
import { workflowGraph, WorkflowGraphError, type WorkflowGraph } from '../components/workflow-graph.ts';
import { useSession } from '../session.ts';

/**
 * The workflow file as data: js-yaml's core schema (no tags that build objects or run code),
 * loaded only when a workflow's page is opened.
 */
async function parseDefinition(text: string): Promise<unknown> {
  const { load, CORE_SCHEMA, YAMLException } = await import('js-yaml');
  try {
    return load(text, { schema: CORE_SCHEMA });
  } catch (error) {
    if (error instanceof YAMLException) throw new WorkflowGraphError(`the workflow file does not parse: ${error.reason}`);
    throw error;
  }
}


/**
 * A workflow's tasks: its graph from the action's workflow file (`GET
 * /api/v1/actions/views/entry_point/{ref}`), each task's status from the child executions
 * (`GET /api/v1/executions/{id}/children`), kept current by the event stream; and those child
 * executions as a list. The file is the one installed now: a pack upgraded since the run may draw
 * tasks the run did not have.
 */
export function WorkflowTasks({ workflow }: { workflow: Execution }) {
  const { api } = useSession();
  const [graph, setGraph] = useState<WorkflowGraph>();
  const [graphError, setGraphError] = useState<unknown>();
  const [children, setChildren] = useState<Map<string, Execution>>(new Map());
  const ref = workflow.action.ref;
  const runner = workflow.action.runner_type ?? 'orquesta';
  const id = workflow.id;
  // Packrun's own operations shown as st2's workflows (packs.install, packs.uninstall) have no
  // file to draw: asking for one would only be answered 404.
  const file = workflow.action.entry_point;

  useEffect(() => {
    setGraph(undefined);
    setGraphError(undefined);
    if (!file) return undefined;
    let live = true;
    api
      .getEntryPoint(ref)
      .then(parseDefinition)
      .then((definition) => live && setGraph(workflowGraph(runner, definition)))
      .catch((caught: unknown) => live && setGraphError(caught));
    return () => {
      live = false;
    };
  }, [api, ref, runner, file]);

  useEffect(() => {
    let live = true;
    setChildren(new Map());
    const take = (arrived: Execution[]): void => {
      if (!live) return;
      setChildren((current) => {
        const next = new Map(current);
        for (const child of arrived) if (child.parent === id) next.set(child.id, newerExecution(next.get(child.id), child));
        return next;
      });
    };
    const read = (): void => {
      api.listChildren(id).then(take, () => undefined);
    };
    read();
    const stream = openStream(
      api,
      '/api/v1/stream?events=st2.execution__create,st2.execution__update',
      (event) => {
        if (event.type === 'execution') take([event.execution]);
      },
      // A child started between the first read and the stream's start would be missed: read again once live.
      { onState: (state) => state === 'live' && read() },
    );
    return () => {
      live = false;
      stream.close();
    };
  }, [api, id]);

  const ordered = [...children.values()].sort((a, b) => String(a.start_timestamp ?? '').localeCompare(String(b.start_timestamp ?? '')));
  const runs = new Map<string, Execution[]>();
  for (const child of ordered) {
    const task = taskNameOf(child);
    if (task !== undefined) runs.set(task, [...(runs.get(task) ?? []), child]);
  }

  return (
    <section>
      <h2>Tasks</h2>
      {!file ? (
        <p class="muted">Packrun's own operation: no workflow file to draw. Its stages are the child executions below.</p>
      ) : graphError ? <ErrorNote error={graphError} /> : graph ? <div class="graph-wrap" tabIndex={0}><TaskGraph graph={graph} runs={runs} /></div> : <Loading what="the workflow" />}
      <h3>Child executions</h3>
      {ordered.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="children">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Action</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {ordered.map((child) => (
                <tr key={child.id} data-child={child.id}>
                  <td data-label="Task">{taskNameOf(child) ?? '—'}</td>
                  <td data-label="Action">
                    <Link href={`/executions/${encodeURIComponent(child.id)}`}>{child.action.ref}</Link>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={child.status} />
                  </td>
                  <td data-label="Started">
                    <Time value={child.start_timestamp} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
