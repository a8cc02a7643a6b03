import { useState } from 'preact/hooks';
import { ErrorNote, Link, LoadStatus } from '../components/common.tsx';
import { ParameterForm } from '../components/parameter-form.tsx';
import { orderedParameters } from '../components/parameter-values.ts';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';

/** One action: what it is, its parameters, and (for a role that may run it) its run form. */
export function ActionPage({ refName }: { refName: string }) {
  const { api, mayOperate } = useSession();
  const load = useApiLoad((client) => client.getAction(refName), [refName]);
  const action = load.data;
  const [runError, setRunError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function run(parameters: Record<string, unknown>): Promise<void> {
    setBusy(true);
    setRunError(undefined);
    try {
      const execution = await api.runAction(refName, parameters);
      navigate(`/executions/${encodeURIComponent(execution.id)}`);
    } catch (caught) {
      setRunError(caught);
      setBusy(false);
    }
  }

  if (load.error) {
    return (
      <main id="main">
        <h1>{refName}</h1>
        <ErrorNote error={load.error} />
        <Link href="/actions">All actions</Link>
      </main>
    );
  }
  if (!action) {
    return (
      <main id="main">
        <LoadStatus load={load} what="the action" />
      </main>
    );
  }
  const parameters = orderedParameters(action.parameters);
  return (
    <main id="main">
      <h1>{action.ref}</h1>
      {action.description ? <p>{action.description}</p> : null}
      <p class="muted small">
        Pack <Link href={`/actions?pack=${encodeURIComponent(action.pack)}`}>{action.pack}</Link> · runner {action.runner_type}
        {action.entry_point ? ` · ${action.entry_point}` : ''} ·{' '}
        <Link href={`/executions?action=${encodeURIComponent(action.ref)}`}>its executions</Link>
      </p>
      {action.unavailable ? <ErrorNote error={new Error(`This action cannot run: ${action.unavailable.message ?? action.unavailable.code ?? 'its runner is missing'}`)} /> : null}
      {!action.enabled ? <p class="error">This action is disabled.</p> : null}
      {mayOperate ? (
        <section>
          <h2>Run</h2>
          <ParameterForm parameters={action.parameters} busy={busy} onSubmit={(values) => void run(values)} />
          <ErrorNote error={runError} />
        </section>
      ) : (
        <p class="muted">Your role may look at actions but not run them.</p>
      )}
      <section>
        <h2>Parameters</h2>
        {parameters.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <div class="table-wrap">
            <table class="parameters">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Default</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {parameters.map(([name, spec]) => (
                  <tr key={name}>
                    <th scope="row" data-label="Name">
                      {name}
                      {spec.required ? ' *' : ''}
                    </th>
                    <td data-label="Type">
                      {Array.isArray(spec.type) ? spec.type.join(' | ') : (spec.type ?? 'any')}
                      {spec.secret ? ', secret' : ''}
                    </td>
                    <td data-label="Default" class="mono">
                      {spec.default === undefined ? '' : spec.secret ? '********' : JSON.stringify(spec.default)}
                    </td>
                    <td data-label="Description">{spec.description ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
