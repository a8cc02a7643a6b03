import { useState } from 'preact/hooks';
import type { ApiKey } from '../api/types.ts';
import { ErrorNote, LoadStatus, Time } from '../components/common.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useSession } from '../session.ts';

/**
 * The roles a key may be created with: a system_admin makes any; an admin only the ones below it
 * (the API's mayManageKeyOf, which refuses the rest anyway).
 */
function creatableRoles(roles: readonly string[]): string[] {
  return roles.includes('system_admin') ? ['observer', 'operator', 'admin', 'system_admin'] : ['observer', 'operator'];
}

/** A key just made: shown this once (only its hash is stored), until dismissed. */
function NewKey({ made, onDone }: { made: { apiKey: ApiKey; key: string }; onDone: () => void }) {
  return (
    <section class="card new-key" role="status" aria-labelledby="new-key-title">
      <h2 id="new-key-title">
        Key for {made.apiKey.user} ({made.apiKey.role})
      </h2>
      <p>Copy it now: it is not shown again (only its hash is kept).</p>
      <input class="mono" type="text" readOnly value={made.key} aria-label="The new API key" onFocus={(event) => (event.currentTarget as HTMLInputElement).select()} />
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

/** The API keys (admin only): created (the key shown once), enabled and disabled, deleted. */
export function ApiKeysView() {
  const { mayAdminister } = useSession();
  if (!mayAdminister) {
    // Not asked of the API at all: it would answer only this user's own keys, and change nothing.
    return (
      <main id="main">
        <h1>API keys</h1>
        <p class="muted">Only an admin manages API keys.</p>
      </main>
    );
  }
  return <ApiKeysManager />;
}

function ApiKeysManager() {
  const { api, user } = useSession();
  const keys = useApiLoad((client) => client.listApiKeys());
  const [made, setMade] = useState<{ apiKey: ApiKey; key: string }>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function act<T>(operation: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setActionError(undefined);
    try {
      const answer = await operation();
      keys.reload();
      return answer;
    } catch (caught) {
      setActionError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  async function create(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const created = await act(() =>
      api.createApiKey({ user: String(data.get('user') ?? '').trim() || user.username, role: String(data.get('role') ?? 'observer'), description: String(data.get('description') ?? '').trim() }),
    );
    if (created) {
      form.reset();
      setMade(created);
    }
  }

  return (
    <main id="main">
      <h1>API keys</h1>
      {made ? <NewKey made={made} onDone={() => setMade(undefined)} /> : null}
      <form class="card" onSubmit={(event) => void create(event)} aria-label="Create an API key">
        <h2>Create a key</h2>
        <div class="field field-text">
          <label for="apikey-user">User</label>
          <input id="apikey-user" name="user" type="text" autocomplete="off" spellcheck={false} placeholder={user.username} />
        </div>
        <div class="field">
          <label for="apikey-role">Role</label>
          <select id="apikey-role" name="role">
            {creatableRoles(user.rbac.roles).map((role) => (
              <option value={role}>{role}</option>
            ))}
          </select>
        </div>
        <div class="field field-text">
          <label for="apikey-description">Description</label>
          <input id="apikey-description" name="description" type="text" autocomplete="off" />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Create
        </button>
      </form>
      <ErrorNote error={actionError} />
      <LoadStatus load={keys} what="the API keys" />
      {keys.data ? (
        <ListTable<ApiKey>
          items={keys.data}
          empty="No API keys."
          rowKey={(key) => key.id}
          rowAttributes={(key) => ({ 'data-apikey': key.id })}
          columns={[
            { label: 'Key id', rowHeader: true, class: 'mono small', cell: (key) => key.id },
            { label: 'User', cell: (key) => key.user },
            { label: 'Role', cell: (key) => key.role },
            { label: 'Created', cell: (key) => <Time value={key.created_at} /> },
            { label: 'Description', cell: (key) => (typeof key.metadata['description'] === 'string' ? key.metadata['description'] : '') },
            { label: 'Enabled', cell: (key) => (key.enabled ? 'yes' : 'no') },
            {
              label: 'Actions',
              hideLabel: true,
              cell: (key) => (
                <span class="row-actions">
                  <button type="button" disabled={busy} onClick={() => void act(() => api.setApiKeyEnabled(key.id, !key.enabled))} aria-label={`${key.enabled ? 'Disable' : 'Enable'} key ${key.id}`}>
                    {key.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <ConfirmButton label="Delete" confirmLabel="Really delete" name={`key ${key.id}`} disabled={busy} onConfirm={() => void act(() => api.deleteApiKey(key.id))} />
                </span>
              ),
            },
          ]}
        />
      ) : null}
    </main>
  );
}
