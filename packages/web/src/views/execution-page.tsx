import { useEffect, useState } from 'preact/hooks';
import { followExecution, type StreamHandle } from '../api/stream.ts';
import { isCompleted, newerExecution, type Execution } from '../api/types.ts';
import { duration, ErrorNote, Link, Loading, StatusBadge, Time } from '../components/common.tsx';
import { JsonTree } from '../components/json-tree.tsx';
import { workflowRunners } from '../components/workflow-graph.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';
import { WorkflowTasks } from './workflow-tasks.tsx';

/** The parameters of `edited` that differ from `original`: a re-run sends only what was changed, so masked secrets stay the stored ones. */
function changedParameters(original: Record<string, unknown>, edited: Record<string, unknown>): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(edited)) if (JSON.stringify(original[name]) !== JSON.stringify(value)) changed[name] = value;
  return changed;
}

/**
 * One execution: what ran with which parameters, its status history, its output arriving live,
 * its result as a tree and as JSON; cancel while it runs, pause and resume a workflow, re-run with
 * edited parameters.
 * Everything the execution produced is rendered as text.
 */
export function ExecutionPage({ id }: { id: string }) {
  const { api, mayOperate } = useSession();
  const [execution, setExecution] = useState<Execution>();
  const [output, setOutput] = useState({ stdout: '', stderr: '' });
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    let stream: StreamHandle | undefined;
    setExecution(undefined);
    setOutput({ stdout: '', stderr: '' });
    setError(undefined);
    const show = (next: Execution): void => {
      if (live && next.id === id) setExecution((current) => newerExecution(current, next));
    };
    api.getExecution(id).then(
      (first) => {
        if (!live) return;
        show(first);
        stream = followExecution(api, first, {
          execution: show,
          output: ({ stream: which, data }) => live && setOutput((current) => ({ ...current, [which]: current[which] + data })),
        });
      },
      (caught: unknown) => live && setError(caught),
    );
    return () => {
      live = false;
      stream?.close();
    };
  }, [api, id]);

  /** One control request; the stream brings the states that follow it. */
  async function control(request: () => Promise<Execution>): Promise<void> {
    setBusy(true);
    setActionError(undefined);
    try {
      const answered = await request();
      setExecution((current) => newerExecution(current, answered));
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function rerun(event: Event): Promise<void> {
    event.preventDefault();
    if (!execution) return;
    const text = String(new FormData(event.currentTarget as HTMLFormElement).get('parameters') ?? '{}');
    let edited: unknown;
    try {
      edited = JSON.parse(text);
    } catch (caught) {
      setActionError(new Error(`The parameters are not valid JSON: ${(caught as Error).message}`));
      return;
    }
    if (typeof edited !== 'object' || edited === null || Array.isArray(edited)) {
      setActionError(new Error('The parameters must be a JSON object.'));
      return;
    }
    setBusy(true);
    setActionError(undefined);
    try {
      const created = await api.rerunExecution(execution, changedParameters(execution.parameters, edited as Record<string, unknown>));
      navigate(`/executions/${encodeURIComponent(created.id)}`);
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (error) {
    return (
      <main id="main">
        <h1>Execution {id}</h1>
        <ErrorNote error={error} />
        <Link href="/executions">All executions</Link>
      </main>
    );
  }
  if (!execution) {
    return (
      <main id="main">
        <Loading what="the execution" />
      </main>
    );
  }
  const running = !isCompleted(execution.status);
  const workflow = workflowRunners.has(execution.action.runner_type ?? '');
  const mayPause = workflow && execution.status === 'running';
  const mayResume = workflow && (execution.status === 'paused' || execution.status === 'pausing');
  const resultOmitted = execution.raw['resultOmitted'] === true || execution.raw['result_omitted'] === true;

  return (
    <main id="main">
      <div class="title-row">
        <h1>
          <Link href={`/actions/${encodeURIComponent(execution.action.ref)}`}>{execution.action.ref}</Link>
        </h1>
        <StatusBadge status={execution.status} />
      </div>
      <p class="mono small muted">{execution.id}</p>
      <dl class="facts card">
        <div>
          <dt>Requested</dt>
          <dd>
            <Time value={execution.start_timestamp} />
          </dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>
            <Time value={execution.end_timestamp} />
          </dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{duration(execution.elapsed_seconds)}</dd>
        </div>
        <div>
          <dt>User</dt>
          <dd>{String(execution.context['user'] ?? '—')}</dd>
        </div>
        {execution.parent ? (
          <div>
            <dt>Parent</dt>
            <dd>
              <Link href={`/executions/${encodeURIComponent(execution.parent)}`}>{execution.parent}</Link>
            </dd>
          </div>
        ) : null}
      </dl>
      {mayOperate ? (
        <div class="toolbar">
          {mayPause ? (
            <button type="button" onClick={() => void control(() => api.pauseOrResume(id, 'pausing'))} disabled={busy}>
              Pause
            </button>
          ) : null}
          {mayResume ? (
            <button type="button" onClick={() => void control(() => api.pauseOrResume(id, 'resuming'))} disabled={busy}>
              Resume
            </button>
          ) : null}
          {running ? (
            <button type="button" class="danger" onClick={() => void control(() => api.cancelExecution(id))} disabled={busy || execution.status === 'canceling'}>
              {execution.status === 'canceling' ? 'Canceling…' : 'Cancel'}
            </button>
          ) : null}
          <details class="rerun">
            <summary>Re-run…</summary>
            <form onSubmit={(event) => void rerun(event)}>
              <label for="rerun-parameters">Parameters (JSON; only what you change is sent, masked secrets keep their stored values)</label>
              <textarea id="rerun-parameters" name="parameters" rows={6} spellcheck={false} defaultValue={JSON.stringify(execution.parameters, null, 2)} />
              <button type="submit" class="primary" disabled={busy}>
                Re-run
              </button>
            </form>
          </details>
        </div>
      ) : null}
      <ErrorNote error={actionError} />

      {workflow ? <WorkflowTasks workflow={execution} /> : null}

      <section>
        <h2>Parameters</h2>
        {Object.keys(execution.parameters).length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table class="parameters">
            <tbody>
              {Object.entries(execution.parameters).map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td class="mono">{typeof value === 'string' ? value : JSON.stringify(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h2>Output</h2>
        <h3>stdout</h3>
        <pre class="output" data-stream="stdout" tabIndex={0}>
          {output.stdout || (running ? '' : '(none)')}
        </pre>
        {output.stderr ? (
          <>
            <h3>stderr</h3>
            <pre class="output stderr" data-stream="stderr" tabIndex={0}>
              {output.stderr}
            </pre>
          </>
        ) : null}
        {running ? <p class="muted small" role="status">Running: output appears as it is printed.</p> : null}
      </section>

      <section>
        <h2>Result</h2>
        {execution.result === undefined ? (
          <p class="muted">{resultOmitted ? 'The result is too large to show here; GET /api/v1/executions/{id}/result has it.' : running ? 'Not yet.' : 'None.'}</p>
        ) : (
          <>
            <div class="json-tree" data-testid="result-tree">
              <JsonTree value={execution.result} />
            </div>
            <details>
              <summary>Raw JSON</summary>
              <pre class="output" data-testid="result-json">{JSON.stringify(execution.result, null, 2)}</pre>
            </details>
          </>
        )}
      </section>

      <section>
        <h2>Status history</h2>
        <ol class="history">
          {execution.log.map((entry, index) => (
            <li key={index}>
              <StatusBadge status={entry.status} /> <Time value={entry.timestamp} />
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
