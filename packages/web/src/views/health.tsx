import { ErrorNote, Time } from '../components/common.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useSession } from '../session.ts';

/** The server's liveness and readiness (store, bus), its version, and who is signed in with what role. */
export function HealthView() {
  const { user } = useSession();
  const load = useApiLoad(async (api) => {
    const [liveness, readiness, version] = await Promise.all([api.health(), api.readiness(), api.version()]);
    return { health: liveness.status, ready: readiness, version };
  });
  const health = load.data?.health;
  const ready = load.data?.ready;
  const version = load.data?.version;

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
