import { useEffect, useRef, useState } from 'preact/hooks';
import { openStream, type StreamState } from '../api/stream.ts';
import { executionStatuses, type Execution } from '../api/types.ts';
import { duration, Link, LoadStatus, StatusBadge, Time } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { navigate, withQuery, type Location } from '../router.ts';
import { useSession } from '../session.ts';

const pageSize = 50;

interface Filters {
  action: string;
  status: string;
  page: number;
}

function filtersOf(location: Location): Filters {
  const page = Number(location.query.get('page') ?? '1');
  return { action: location.query.get('action') ?? '', status: location.query.get('status') ?? '', page: Number.isInteger(page) && page > 0 ? page : 1 };
}

const matches = (execution: Execution, filters: Filters): boolean =>
  (filters.action === '' || execution.action.ref === filters.action) && (filters.status === '' || execution.status === filters.status);

/**
 * The executions, newest first, a page at a time (the server counts and pages; the page never
 * holds more than 50 rows), kept current by the event stream: rows change state as their
 * executions do, and new executions matching the filters come in at the top of the first page.
 */
export function ExecutionsListView({ location }: { location: Location }) {
  const { api } = useSession();
  const filters = filtersOf(location);
  const load = useApiLoad(
    (client) => client.listExecutions({ action: filters.action, status: filters.status, limit: pageSize, offset: (filters.page - 1) * pageSize }),
    [filters.action, filters.status, filters.page],
  );
  const items = load.data?.items;
  const total = load.data?.total ?? 0;
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const { setData } = load;

  useEffect(() => {
    const arrive = (execution: Execution): void => {
      const current = itemsRef.current;
      if (current === undefined) return;
      if (current.some((item) => item.id === execution.id)) {
        setData((latest) => latest && { ...latest, items: latest.items.map((item) => (item.id === execution.id ? execution : item)) });
        return;
      }
      if (filtersRef.current.page !== 1 || !matches(execution, filtersRef.current)) return;
      setData((latest) =>
        latest === undefined || latest.items.some((item) => item.id === execution.id) ? latest : { items: [execution, ...latest.items].slice(0, pageSize), total: latest.total + 1 },
      );
    };
    const stream = openStream(
      api,
      // Only executions' changes: the list has no use for every execution's output.
      '/api/v1/stream?events=st2.execution__create,st2.execution__update',
      (event) => {
        if (event.type === 'execution') arrive(event.execution);
      },
      { onState: setStreamState },
    );
    return () => stream.close();
  }, [api]);

  const pages = Math.max(1, Math.ceil(total / pageSize));
  const at = (page: number): string => withQuery('/executions', { action: filters.action, status: filters.status, page: page === 1 ? undefined : page });

  function applyFilters(event: Event): void {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    navigate(withQuery('/executions', { action: String(form.get('action') ?? '').trim(), status: String(form.get('status') ?? '') }));
  }

  return (
    <main id="main">
      <div class="title-row">
        <h1>Executions</h1>
        <span class={`live live-${streamState}`} role="status" aria-live="polite">
          {streamState === 'live' ? 'Live' : streamState === 'closed' ? 'Not live' : 'Connecting…'}
        </span>
      </div>
      <form class="filters" onSubmit={applyFilters} role="search" aria-label="Filter executions">
        <label>
          Action
          <input name="action" type="search" placeholder="pack.action" defaultValue={filters.action} key={`a-${filters.action}`} />
        </label>
        <label>
          Status
          <select name="status" key={`s-${filters.status}`}>
            <option value="">any</option>
            {executionStatuses.map((status) => (
              <option value={status} selected={status === filters.status}>
                {status}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        {filters.action || filters.status ? <Link href="/executions">Clear</Link> : null}
      </form>
      <LoadStatus load={load} what="executions" />
      {items !== undefined ? (
        <>
          <ListTable<Execution>
            items={items}
            class="executions"
            caption="Executions, newest first"
            rowKey={(execution) => execution.id}
            rowAttributes={(execution) => ({ 'data-execution': execution.id })}
            columns={[
              { label: 'Action', cell: (execution) => <Link href={`/executions/${encodeURIComponent(execution.id)}`}>{execution.action.ref}</Link> },
              { label: 'Status', cell: (execution) => <StatusBadge status={execution.status} /> },
              { label: 'Started', cell: (execution) => <Time value={execution.start_timestamp} /> },
              { label: 'Took', cell: (execution) => duration(execution.elapsed_seconds) },
              { label: 'User', cell: (execution) => String(execution.context['user'] ?? '—') },
              { label: 'Id', class: 'mono small', cell: (execution) => execution.id },
            ]}
          />
          {items.length === 0 ? <p class="muted">No executions{filters.action || filters.status ? ' match these filters' : ' yet'}.</p> : null}
          <nav class="pager" aria-label="Pages">
            {filters.page > 1 ? <Link href={at(filters.page - 1)}>← Newer</Link> : <span class="muted">← Newer</span>}
            <span>
              Page {filters.page} of {pages} ({total} executions)
            </span>
            {filters.page < pages ? <Link href={at(filters.page + 1)}>Older →</Link> : <span class="muted">Older →</span>}
          </nav>
        </>
      ) : null}
    </main>
  );
}
