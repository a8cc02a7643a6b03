import { Component } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { openStream, type StreamState } from '../api/stream.ts';
import { executionStatuses, type Execution } from '../api/types.ts';
import { duration, ErrorNote, Link, Loading, StatusBadge, Time } from '../components/common.tsx';
import { navigate, withQuery, type Location } from '../router.ts';
import { useSession } from '../session.ts';
import { anyFilter, filterNames, filtersOf, isoFromLocalInput, localInputValue, matchesFilters, type ExecutionFilters } from './execution-filters.ts';

const pageSize = 50;
const flushMs = 100;

/** One row; drawn again only when its execution changed (a stream update replaces only its own row's object). */
class ExecutionRow extends Component<{ execution: Execution }> {
  override shouldComponentUpdate(next: { execution: Execution }): boolean {
    return next.execution !== this.props.execution;
  }

  override render() {
    const { execution } = this.props;
    return (
      <tr data-execution={execution.id}>
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
    );
  }
}

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
      .listExecutions({ ...filters, limit: pageSize, offset: (page - 1) * pageSize })
      .then((found) => {
        if (!live) return;
        setItems(found.items);
        setTotal(found.total);
      })
      .catch((caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [api, filterKey, page]);

  useEffect(() => {
    // Stream events are applied together, at most every `flushMs`: a hundred updates a second
    // become ten renders, so typing in the filters is never queued behind them.
    const pending = new Map<string, Execution>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      const arrived = [...pending.values()];
      pending.clear();
      const current = itemsRef.current;
      if (current === undefined) return;
      const shown = new Set(current.map((item) => item.id));
      const changed = new Map(arrived.filter((execution) => shown.has(execution.id)).map((execution) => [execution.id, execution]));
      // Newest first, as the server lists them.
      const added = pageRef.current === 1 ? arrived.filter((execution) => !shown.has(execution.id) && matchesFilters(execution, filtersRef.current)).reverse() : [];
      if (changed.size === 0 && added.length === 0) return;
      if (added.length > 0) setTotal((count) => count + added.length);
      setItems((latest) => latest && [...added, ...latest.map((item) => changed.get(item.id) ?? item)].slice(0, pageSize));
    };
    const arrive = (execution: Execution): void => {
      // Map order is first arrival: a later state of the same execution keeps its place.
      pending.set(execution.id, execution);
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
                  <ExecutionRow key={execution.id} execution={execution} />
                ))}
              </tbody>
            </table>
          </div>
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
