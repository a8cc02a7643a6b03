import type { Execution } from '../api/types.ts';
import type { Location } from '../router.ts';

/**
 * The execution list's filters, named in the page's address as the API names them
 * (`GET /api/v1/executions`: st2's action, status, rule, user, timestamp_gt, timestamp_lt, and
 * Packrun's pack), so an address is also the query it shows. Times are ISO-8601 (UTC).
 */
export interface ExecutionFilters {
  action: string;
  pack: string;
  status: string;
  rule: string;
  user: string;
  timestamp_gt: string;
  timestamp_lt: string;
}

export const filterNames: readonly (keyof ExecutionFilters)[] = ['action', 'pack', 'status', 'rule', 'user', 'timestamp_gt', 'timestamp_lt'];

/** An ISO time, or '' for anything that is not one (a hand-edited address must not become a 400). */
function isoOrNothing(value: string | null): string {
  if (!value) return '';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? '' : time.toISOString();
}

export function filtersOf(location: Location): ExecutionFilters {
  const text = (name: string): string => (location.query.get(name) ?? '').trim();
  return {
    action: text('action'),
    pack: text('pack'),
    status: text('status'),
    rule: text('rule'),
    user: text('user'),
    timestamp_gt: isoOrNothing(location.query.get('timestamp_gt')),
    timestamp_lt: isoOrNothing(location.query.get('timestamp_lt')),
  };
}

export const anyFilter = (filters: ExecutionFilters): boolean => filterNames.some((name) => filters[name] !== '');

/** Whether a new execution from the stream belongs in the filtered list, as the server would decide. */
export function matchesFilters(execution: Execution, filters: ExecutionFilters): boolean {
  const requested = execution.start_timestamp ? Date.parse(execution.start_timestamp) : Number.NaN;
  return (
    (filters.action === '' || execution.action.ref === filters.action) &&
    (filters.pack === '' || (execution.action.pack ?? execution.action.ref.split('.')[0]) === filters.pack) &&
    (filters.status === '' || execution.status === filters.status) &&
    (filters.rule === '' || execution.rule?.ref === filters.rule) &&
    (filters.user === '' || execution.context['user'] === filters.user) &&
    (filters.timestamp_gt === '' || requested > Date.parse(filters.timestamp_gt)) &&
    (filters.timestamp_lt === '' || requested < Date.parse(filters.timestamp_lt))
  );
}

/** A `datetime-local` field's value (the browser's zone) for an ISO time, and back. */
export function localInputValue(iso: string): string {
  if (iso === '') return '';
  const time = new Date(iso);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T${pad(time.getHours())}:${pad(time.getMinutes())}`;
}

export function isoFromLocalInput(value: string): string {
  if (value === '') return '';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? '' : time.toISOString();
}
