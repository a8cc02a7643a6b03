import { useEffect, useRef, useState } from 'preact/hooks';
import { openStream, type StreamState } from '../api/stream.ts';
import { executionStatuses, type Execution } from '../api/types.ts';
import { duration, ErrorNote, Link, Loading, StatusBadge, Time } from '../components/common.tsx';
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
  const [items, setItems] = useState<Execution[]>();
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>();
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const itemsRef = useRef(items);
  itemsRef.current = items;

  useEffect(() => {
    let live = true;
    setItems(undefined);
    setError(undefined);
    api
      .listExecutions({ action: filters.action, status: filters.status, limit: pageSize, offset: (filters.page - 1) * pageSize })
      .then((page) => {
        if (!live) return;
        setItems(page.items);
        setTotal(page.total);
      })
      .catch((caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [api, filters.action, filters.status, filters.page]);

  useEffect(() => {
    const arrive = (execution: Execution): void => {
      const current = itemsRef.current;
      if (current === undefined) return;
      if (current.some((item) => item.id === execution.id)) {
        setItems((latest) => latest?.map((item) => (item.id === execution.id ? execution : item)));
        return;
      }
      if (filtersRef.current.page !== 1 || !matches(execution, filtersRef.current)) return;
      setTotal((count) => count + 1);
      setItems((latest) => (latest === undefined || latest.some((item) => item.id === execution.id) ? latest : [execution, ...latest].slice(0, pageSize)));
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
      <ErrorNote error={error} />
      {items === undefined && error === undefined ? <Loading what="executions" /> : null}
      {items !== undefined ? (
        <>
          <div class="table-wrap">
            <table class="executions">
              <caption class="visually-hidden">Executions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                  <th scope="col">Took</th>
                  <th scope="col">User</th>
                  <th scope="col">Id</th>
                </tr>
              </thead>
              <tbody>
                {items.map((execution) => (
                  <tr key={execution.id} data-execution={execution.id}>
                    <td data-label="Action">
                      <Link href={`/executions/${encodeURIComponent(execution.id)}`}>{execution.action.ref}</Link>
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={execution.status} />
                    </td>
                    <td data-label="Started">
                      <Time value={execution.start_timestamp} />
                    </td>
                    <td data-label="Took">{duration(execution.elapsed_seconds)}</td>
                    <td data-label="User">{String(execution.context['user'] ?? '—')}</td>
                    <td data-label="Id" class="mono small">
                      {execution.id}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
