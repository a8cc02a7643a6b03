import { useEffect, useRef, useState } from 'preact/hooks';
import { openStream, type StreamState } from '../api/stream.ts';
import { executionStatuses, type Execution } from '../api/types.ts';
import { duration, Link, LiveState, LoadStatus, StatusBadge, Time } from '../components/common.tsx';
import { ListTable, type Column } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { navigate, withQuery, type Location } from '../router.ts';
import { useSession } from '../session.ts';
import { anyFilter, filterNames, filtersOf, isoFromLocalInput, localInputValue, type ExecutionFilters } from './execution-filters.ts';
import { applyArrivals, keepArrival } from './live-executions.ts';

const pageSize = 50;
const flushMs = 100;

// Module constants: the same objects every render, so ListTable redraws only the rows whose
// execution changed (a stream update replaces only its own row's object).
const columns: readonly Column<Execution>[] = [
  { label: 'Action', cell: (execution) => <Link href={`/executions/${encodeURIComponent(execution.id)}`}>{execution.action.ref}</Link> },
  { label: 'Status', cell: (execution) => <StatusBadge status={execution.status} /> },
  { label: 'Started', cell: (execution) => <Time value={execution.start_timestamp} /> },
  { label: 'Took', cell: (execution) => duration(execution.elapsed_seconds) },
  { label: 'User', cell: (execution) => String(execution.context['user'] ?? '—') },
  { label: 'Id', class: 'mono small', cell: (execution) => execution.id },
];
const rowKey = (execution: Execution): string => execution.id;
const rowAttributes = (execution: Execution): Record<string, string> => ({ 'data-execution': execution.id });

function pageOf(location: Location): number {
  const page = Number(location.query.get('page') ?? '1');
  return Number.isInteger(page) && page > 0 ? page : 1;
}

/**
 * The executions, newest first, a page at a time (the server counts and pages; the page never
 * holds more than 50 rows), kept current by the event stream: rows change state as their
 * executions do, and new executions matching the filters come in at the top of the first page.
 */
export function ExecutionsListView({ location }: { location: Location }) {
  const { api } = useSession();
  const filters = filtersOf(location);
  const page = pageOf(location);
  const pageRef = useRef(page);
  pageRef.current = page;
  // One key for the filters: a change of any of them reads the list again.
  const filterKey = JSON.stringify(filters);
  const load = useApiLoad((client) => client.listExecutions({ ...filters, limit: pageSize, offset: (page - 1) * pageSize }), [filterKey, page]);
  const items = load.data?.items;
  const total = load.data?.total ?? 0;
  const [streamState, setStreamState] = useState<StreamState>('connecting');
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const { setData } = load;

  useEffect(() => {
    // Stream events are applied together, at most every `flushMs`: a hundred updates a second
    // become ten renders, so typing in the filters is never queued behind them. The merge runs on
    // the page as it is when drawn (not as last rendered), so two flushes before a render still
    // add an execution once.
    const pending = new Map<string, Execution>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      const arrived = [...pending.values()];
      pending.clear();
      const view = { filters: filtersRef.current, firstPage: pageRef.current === 1, pageSize };
      setData((latest) => latest && applyArrivals(latest, arrived, view));
    };
    const arrive = (execution: Execution): void => {
      keepArrival(pending, execution);
      timer ??= setTimeout(flush, flushMs);
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
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      stream.close();
    };
  }, [api]);

  const pages = Math.max(1, Math.ceil(total / pageSize));
  const at = (to: number): string => withQuery('/executions', { ...filters, page: to === 1 ? undefined : to });

  function applyFilters(event: Event): void {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: keyof ExecutionFilters): string => String(form.get(name) ?? '').trim();
    const chosen = Object.fromEntries(filterNames.map((name) => [name, name.startsWith('timestamp_') ? isoFromLocalInput(field(name)) : field(name)]));
    navigate(withQuery('/executions', chosen));
  }

  return (
    <main id="main">
      <div class="title-row">
        <h1>Executions</h1>
        <LiveState state={streamState} />
      </div>
      <form class="filters" onSubmit={applyFilters} role="search" aria-label="Filter executions">
        <label>
          Action
          <input name="action" type="search" placeholder="pack.action" defaultValue={filters.action} key={`a-${filters.action}`} />
        </label>
        <label>
          Pack
          <input name="pack" type="search" placeholder="pack" defaultValue={filters.pack} key={`p-${filters.pack}`} />
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
        <label>
          Rule
          <input name="rule" type="search" placeholder="pack.rule" defaultValue={filters.rule} key={`r-${filters.rule}`} />
        </label>
        <label>
          User
          <input name="user" type="search" defaultValue={filters.user} key={`u-${filters.user}`} />
        </label>
        <label>
          Requested after
          <input name="timestamp_gt" type="datetime-local" defaultValue={localInputValue(filters.timestamp_gt)} key={`g-${filters.timestamp_gt}`} />
        </label>
        <label>
          Requested before
          <input name="timestamp_lt" type="datetime-local" defaultValue={localInputValue(filters.timestamp_lt)} key={`l-${filters.timestamp_lt}`} />
        </label>
        <button type="submit">Filter</button>
        {anyFilter(filters) ? <Link href="/executions">Clear</Link> : null}
      </form>
      <LoadStatus load={load} what="executions" />
      {items !== undefined ? (
        <>
          <ListTable<Execution>
            items={items}
            class="executions"
            caption="Executions, newest first"
            rowKey={rowKey}
            rowAttributes={rowAttributes}
            columns={columns}
          />
          {items.length === 0 ? <p class="muted">No executions{anyFilter(filters) ? ' match these filters' : ' yet'}.</p> : null}
          <nav class="pager" aria-label="Pages">
            {page > 1 ? <Link href={at(page - 1)}>← Newer</Link> : <span class="muted">← Newer</span>}
            <span>
              Page {page} of {pages} ({total} executions)
            </span>
            {page < pages ? <Link href={at(page + 1)}>Older →</Link> : <span class="muted">Older →</span>}
          </nav>
        </>
      ) : null}
    </main>
  );
}
