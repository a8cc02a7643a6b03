import { useEffect, useState } from 'preact/hooks';
import type { Readiness } from '../api/types.ts';
import { ErrorNote, Time } from '../components/common.tsx';
import { useSession } from '../session.ts';

/** The server's liveness and readiness (store, bus), its version, and who is signed in with what role. */
export function HealthView() {
  const { api, user } = useSession();
  const [health, setHealth] = useState<string>();
  const [ready, setReady] = useState<Readiness>();
  const [version, setVersion] = useState<string>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let live = true;
    const load = async (): Promise<void> => {
      try {
        const [liveness, readiness, running] = await Promise.all([api.health(), api.readiness(), api.version()]);
        if (!live) return;
        setHealth(liveness.status);
        setReady(readiness);
        setVersion(running);
      } catch (caught) {
        if (live) setError(caught);
      }
    };
    void load();
    return () => {
      live = false;
    };
  }, [api]);

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
      <ErrorNote error={error} />
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
