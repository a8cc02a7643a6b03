import { useState } from 'preact/hooks';
import type { KeyScope, KeyValuePair } from '../api/types.ts';
import { ErrorNote, Link, LoadStatus, Time } from '../components/common.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import type { Location } from '../router.ts';
import { useSession, type Session } from '../session.ts';

/**
 * What a role may do in a scope (the API's datastore rules, docs/api.md "Roles"): one's own user
 * scope is written and decrypted by an operator and up; the system scope by an admin.
 */
function mayIn(session: Session, scope: KeyScope): boolean {
  return scope === 'st2kv.user' ? session.mayOperate : session.mayAdminister;
}

/**
 * The datastore's keys of one scope. Secrets come masked (the list never asks to decrypt); a role
 * that may decrypt can reveal one value on request, and set (secret, ttl) and delete keys.
 */
export function DatastoreView({ location }: { location: Location }) {
  const session = useSession();
  const { api } = session;
  const scope: KeyScope = location.query.get('scope') === 'user' ? 'st2kv.user' : 'st2kv.system';
  const keys = useApiLoad((client) => client.listKeys(scope), [scope]);
  // Revealed values by scope and name: the other scope may have a key of the same name.
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const shown = (name: string): string | undefined => revealed[`${scope}/${name}`];
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState(false);
  const may = mayIn(session, scope);

  async function act(operation: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setActionError(undefined);
    try {
      await operation();
      keys.reload();
      return true;
    } catch (caught) {
      setActionError(caught);
      return false;
    } finally {
      setBusy(false);
    }
  }

  // Asks for this one key decrypted; the list itself stays as it was read (masked).
  async function reveal(name: string): Promise<void> {
    setActionError(undefined);
    try {
      const key = await api.revealKey(name, scope);
      setRevealed((current) => ({ ...current, [`${scope}/${name}`]: key.value }));
    } catch (caught) {
      setActionError(caught);
    }
  }

  function hide(name: string): void {
    setRevealed(({ [`${scope}/${name}`]: _hidden, ...rest }) => rest);
  }

  async function save(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const ttl = Number(data.get('ttl') ?? '');
    if (name === '') {
      setActionError(new Error('Name the key.'));
      return;
    }
    const saved = await act(() => api.setKey({ name, value: String(data.get('value') ?? ''), scope, secret, ...(ttl > 0 ? { ttl } : {}) }));
    if (saved) {
      form.reset();
      setSecret(false);
      hide(name);
    }
  }

  const tab = (target: KeyScope, label: string) => (
    <Link href={target === 'st2kv.user' ? '/datastore?scope=user' : '/datastore'} aria-current={scope === target ? 'page' : undefined}>
      {label}
    </Link>
  );

  return (
    <main id="main">
      <h1>Datastore</h1>
      <nav class="tabs" aria-label="Scopes">
        {tab('st2kv.system', 'System (st2kv.system)')}
        {tab('st2kv.user', `Yours (st2kv.user, ${session.user.username})`)}
      </nav>
      {may ? (
        <form class="card" onSubmit={(event) => void save(event)} aria-label="Set a key" noValidate>
          <h2>Set a key</h2>
          <div class="field field-text">
            <label for="key-name">Name</label>
            <input id="key-name" name="name" type="text" autocomplete="off" spellcheck={false} required />
          </div>
          <div class="field field-text">
            <label for="key-value">Value</label>
            <input id="key-value" name="value" type={secret ? 'password' : 'text'} autocomplete="off" spellcheck={false} />
          </div>
          <label>
            <input name="secret" type="checkbox" checked={secret} onChange={(event) => setSecret((event.currentTarget as HTMLInputElement).checked)} /> Secret (stored encrypted, shown masked)
          </label>
          <div class="field field-text">
            <label for="key-ttl">Expires after (seconds, empty: never)</label>
            <input id="key-ttl" name="ttl" type="number" min={1} step={1} inputMode="numeric" />
          </div>
          <button type="submit" class="primary" disabled={busy}>
            Set
          </button>
        </form>
      ) : (
        <p class="muted">Your role may read these keys but not set or delete them.</p>
      )}
      <ErrorNote error={actionError} />
      <LoadStatus load={keys} what="the keys" />
      {keys.data ? (
        <ListTable<KeyValuePair>
          items={keys.data}
          empty="No keys in this scope."
          caption={`Keys of ${scope}`}
          rowKey={(key) => key.name}
          rowAttributes={(key) => ({ 'data-key': key.name })}
          columns={[
            { label: 'Key', rowHeader: true, class: 'mono', cell: (key) => key.name },
            {
              label: 'Value',
              class: 'mono',
              cell: (key) =>
                key.secret && shown(key.name) === undefined ? (
                  <span class="masked" aria-label="secret, masked">
                    ••••••••
                  </span>
                ) : (
                  shown(key.name) ?? key.value
                ),
            },
            { label: 'Secret', cell: (key) => (key.secret ? 'yes' : 'no') },
            { label: 'Expires', cell: (key) => <Time value={key.expire_timestamp} /> },
            may && {
              label: 'Actions',
              hideLabel: true,
              cell: (key) => (
                <span class="row-actions">
                  {key.secret ? (
                    shown(key.name) === undefined ? (
                      <button type="button" disabled={busy} onClick={() => void reveal(key.name)} aria-label={`Show ${key.name}`}>
                        Show
                      </button>
                    ) : (
                      <button type="button" onClick={() => hide(key.name)} aria-label={`Hide ${key.name}`}>
                        Hide
                      </button>
                    )
                  ) : null}
                  <ConfirmButton label="Delete" confirmLabel="Really delete" name={key.name} disabled={busy} onConfirm={() => void act(() => api.deleteKey(key.name, scope))} />
                </span>
              ),
            },
          ]}
        />
      ) : null}
    </main>
  );
}
