import { useState } from 'preact/hooks';
import { createApi, type Credential } from '../api/client.ts';
import type { User } from '../api/types.ts';
import { ErrorNote } from '../components/common.tsx';

/**
 * Signing in takes an API key (`packrun up` writes one to PACKRUN_HOME/secrets/cli-api-key;
 * `packrun api-key create` makes others) or a token (POST /auth/v1/tokens, `st2 auth`). It is
 * checked against GET /api/v1/user before it is kept.
 */
export function LoginView({ onSignedIn }: { onSignedIn: (credential: Credential, user: User) => void }) {
  const [kind, setKind] = useState<Credential['kind']>('api-key');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const credential: Credential = { kind, value: value.trim() };
    if (credential.value === '') {
      setError(new Error(kind === 'api-key' ? 'Enter an API key.' : 'Enter a token.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const user = await createApi(credential).whoami();
      onSignedIn(credential, user);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="login">
      <h1>Sign in to Packrun</h1>
      <form onSubmit={(event) => void submit(event)} class="card">
        <fieldset class="choice">
          <legend>Sign in with</legend>
          <label>
            <input type="radio" name="kind" value="api-key" checked={kind === 'api-key'} onChange={() => setKind('api-key')} /> API key
          </label>
          <label>
            <input type="radio" name="kind" value="token" checked={kind === 'token'} onChange={() => setKind('token')} /> Token
          </label>
        </fieldset>
        <label for="credential">{kind === 'api-key' ? 'API key' : 'Authentication token'}</label>
        <input
          id="credential"
          name="credential"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={value}
          onInput={(event) => setValue((event.currentTarget as HTMLInputElement).value)}
          required
        />
        <p class="muted small">
          {kind === 'api-key'
            ? 'packrun up wrote one to PACKRUN_HOME/secrets/cli-api-key. It is kept in this tab only, until you sign out or close it.'
            : 'From POST /auth/v1/tokens or st2 auth. It is kept in this tab only.'}
        </p>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
