import type { SandboxLimits } from '../api/types.ts';
import { ErrorNote, Time } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useSession } from '../session.ts';

/** As `packrun doctor` prints them. */
function describeLimits(defaults: SandboxLimits, caps: SandboxLimits): string {
  return [
    `memory ${defaults.memory_mb} / ${caps.memory_mb} MiB`,
    `pids ${defaults.pids} / ${caps.pids}`,
    `cpu ${defaults.cpu} / ${caps.cpu} cores`,
    `timeout ${defaults.timeout_seconds} / ${caps.timeout_seconds} s`,
    `network ${caps.network ? 'allowed unless a pack turns it off' : 'off for every job'}`,
  ].join(', ');
}

/** The server's liveness and readiness (store, bus), its version, its sandbox layers, and who is signed in with what role. */
export function HealthView() {
  const { user } = useSession();
  const load = useApiLoad(async (api) => {
    const [liveness, readiness, version] = await Promise.all([api.health(), api.readiness(), api.version()]);
    return { health: liveness.status, ready: readiness, version };
  });
  const health = load.data?.health;
  const ready = load.data?.ready;
  const version = load.data?.version;
  // Apart: the first probe of the host takes a moment, and the rest need not wait for it.
  const sandboxLoad = useApiLoad((api) => api.sandbox());
  const sandbox = sandboxLoad.data;

  const check = (label: string, value: string | undefined, good: string) => (
    <div class="check">
      <dt>{label}</dt>
      <dd>
        <span class={value === undefined ? 'muted' : value === good ? 'ok' : 'bad'}>{value ?? '…'}</span>
      </dd>
    </div>
  );

  return (
    <main id="main">
      <h1>Server health</h1>
      <ErrorNote error={load.error} />
      <section class="card">
        <h2>Server</h2>
        <dl class="facts">
          {check('API', health, 'ok')}
          {check('Ready', ready?.status, 'ready')}
          {check('Store', ready?.store, 'ok')}
          {check('Message bus', ready?.bus, 'ok')}
          <div class="check">
            <dt>Version</dt>
            <dd>{version ?? '…'}</dd>
          </div>
        </dl>
      </section>
      <section class="card">
        <h2>Sandbox</h2>
        <p class="muted small">The layers around each job on the server's host, as <code>packrun doctor</code> reports them.</p>
        <ErrorNote error={sandboxLoad.error} />
        {sandbox ? (
          <>
            <ListTable
              class="sandbox-layers"
              items={sandbox.layers}
              rowKey={(layer) => layer.name}
              rowAttributes={(layer) => ({ 'data-layer': layer.name })}
              columns={[
                { label: 'Layer', rowHeader: true, cell: (layer) => layer.name },
                {
                  label: 'State',
                  cell: (layer) => (
                    <>
                      <span class={layer.active ? 'ok' : layer.mode === 'required' ? 'bad' : 'muted'}>{layer.active ? 'active' : 'inactive'}</span>
                      {layer.mode === 'required' ? <span class="muted small"> (required)</span> : null}
                    </>
                  ),
                },
                { label: 'Why', cell: (layer) => layer.reason },
              ]}
            />
            {sandbox.missing_required.length > 0 ? (
              <p class="error" role="alert">
                Required but missing: {sandbox.missing_required.join(', ')}
              </p>
            ) : null}
            <p>
              <strong>Job limits</strong> (default / largest a pack may ask for): {describeLimits(sandbox.limits.defaults, sandbox.limits.caps)}
            </p>
            <p>
              <strong>Warm spawning</strong>: {sandbox.warm_spawn.active ? 'on' : 'off'}, {sandbox.warm_spawn.reason}
            </p>
          </>
        ) : sandboxLoad.error !== undefined ? null : (
          <p class="muted">Probing the host…</p>
        )}
      </section>
      <section class="card">
        <h2>You</h2>
        <dl class="facts">
          <div>
            <dt>User</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{user.rbac.roles.join(', ') || '—'}</dd>
          </div>
          <div>
            <dt>Signed in with</dt>
            <dd>{user.authentication.method}</dd>
          </div>
          {user.authentication.token_expire ? (
            <div>
              <dt>Token expires</dt>
              <dd>
                <Time value={user.authentication.token_expire} />
              </dd>
            </div>
          ) : null}
        </dl>
      </section>
    </main>
  );
}
