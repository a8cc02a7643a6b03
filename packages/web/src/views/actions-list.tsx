import type { Action } from '../api/types.ts';
import { Link, LoadStatus } from '../components/common.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { navigate, withQuery, type Location } from '../router.ts';

/** Whether every word of the search is in the action's ref, pack or description. */
function found(action: Action, words: string[]): boolean {
  const haystack = `${action.ref} ${action.pack} ${action.description ?? ''}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/** The registered actions, searched by ref, pack and description, narrowed to one pack. */
export function ActionsListView({ location }: { location: Location }) {
  const load = useApiLoad((api) => api.listActions());
  const actions = load.data;
  const search = location.query.get('q') ?? '';
  const pack = location.query.get('pack') ?? '';

  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const packs = [...new Set((actions ?? []).map((action) => action.pack))].sort();
  const shown = (actions ?? []).filter((action) => (pack === '' || action.pack === pack) && found(action, words));
  const update = (next: { q?: string; pack?: string }): void =>
    navigate(withQuery('/actions', { q: next.q ?? search, pack: next.pack ?? pack }), { replace: true });

  return (
    <main id="main">
      <h1>Actions</h1>
      <form class="filters" role="search" aria-label="Search actions" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search
          <input
            name="q"
            type="search"
            placeholder="ref, pack or description"
            defaultValue={search}
            onInput={(event) => update({ q: (event.currentTarget as HTMLInputElement).value })}
          />
        </label>
        <label>
          Pack
          <select name="pack" onChange={(event) => update({ pack: (event.currentTarget as HTMLSelectElement).value })}>
            <option value="">all</option>
            {packs.map((name) => (
              <option value={name} selected={name === pack}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <LoadStatus load={load} what="actions" />
      {actions !== undefined ? (
        <>
          <p class="muted small" role="status">
            {shown.length} of {actions.length} actions
          </p>
          <ul class="action-list">
            {shown.map((action) => (
              <li key={action.ref}>
                <Link href={`/actions/${encodeURIComponent(action.ref)}`}>{action.ref}</Link>
                {action.unavailable ? <span class="status status-failed">unavailable</span> : null}
                {!action.enabled ? <span class="status status-canceled">disabled</span> : null}
                <span class="muted small"> {action.runner_type}</span>
                {action.description ? <p>{action.description}</p> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </main>
  );
}
