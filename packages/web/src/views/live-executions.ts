import { newerExecution, type Execution } from '../api/types.ts';
import { matchesFilters, type ExecutionFilters } from './execution-filters.ts';

/** A page of the execution list as the server answered it: newest first, and how many match in all. */
export interface ExecutionPage {
  items: Execution[];
  total: number;
}

/**
 * Keeps a stream event for the next flush: one state per execution, the newest (an older one
 * arriving late never replaces it), in the order each execution first arrived.
 */
export function keepArrival(pending: Map<string, Execution>, execution: Execution): void {
  pending.set(execution.id, newerExecution(pending.get(execution.id), execution));
}

/**
 * The page with the executions that arrived since the last flush (in first-arrival order):
 * each row shown takes its execution's newer state, and on the first page executions not shown
 * that match the filters come in at the top, newest first, the page kept to `pageSize` rows.
 * The same page object when nothing shown changes, so the view does not draw again.
 */
export function applyArrivals(
  page: ExecutionPage,
  arrived: Iterable<Execution>,
  view: { filters: ExecutionFilters; firstPage: boolean; pageSize: number },
): ExecutionPage {
  const shown = new Map(page.items.map((item) => [item.id, item]));
  const changed = new Map<string, Execution>();
  const added: Execution[] = [];
  for (const execution of arrived) {
    const current = shown.get(execution.id);
    if (current !== undefined) {
      const next = newerExecution(current, execution);
      if (next !== current) changed.set(execution.id, next);
    } else if (view.firstPage && matchesFilters(execution, view.filters)) {
      added.push(execution);
    }
  }
  if (changed.size === 0 && added.length === 0) return page;
  added.reverse();
  return {
    items: [...added, ...page.items.map((item) => changed.get(item.id) ?? item)].slice(0, view.pageSize),
    total: page.total + added.length,
  };
}
