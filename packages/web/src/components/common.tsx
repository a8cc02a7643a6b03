import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client.ts';
import type { StreamState } from '../api/stream.ts';
import type { ApiLoad } from '../hooks/use-api-load.ts';
import { followLink } from '../router.ts';

export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-current'?: 'page' | undefined }) {
  return (
    <a href={props.href} class={props.class} onClick={followLink} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

// One formatter for every time shown: toLocaleString with options builds a new one each call, the
// costliest part of a live list redrawing its rows (a profile at 1000 updates a second).
const localTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A time in the browser's zone, the ISO form (UTC) in its title and datetime. */
export function Time({ value }: { value: string | undefined }) {
  if (!value) return <span class="muted">—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {localTime.format(date)}
    </time>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`status status-${status.replace(/[^a-z_]/g, '')}`}>{status}</span>;
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** An error of the API as the user can act on it: its message, its hint and its code. */
export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  return (
    <div class="error" role="alert">
      <strong>{apiError ? apiError.message : error instanceof Error ? error.message : String(error)}</strong>
      {apiError?.hint ? <p>{apiError.hint}</p> : null}
      {apiError ? <p class="muted small">{apiError.code}</p> : null}
    </div>
  );
}

/** Whether a view is kept current by the event stream. */
export function LiveState({ state }: { state: StreamState }) {
  return (
    <span class={`live live-${state}`} role="status" aria-live="polite">
      {state === 'live' ? 'Live' : state === 'closed' ? 'Not live' : 'Connecting…'}
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

/** A load's state while it has nothing to show: its error, or that it is loading. */
export function LoadStatus({ load, what }: { load: ApiLoad<unknown>; what: string }) {
  if (load.error !== undefined) return <ErrorNote error={load.error} />;
  return load.data === undefined ? <Loading what={what} /> : null;
}
