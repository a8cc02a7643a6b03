import { describe, expect, it } from 'vitest';
import { readExecution } from '../api/shapes.ts';
import type { Execution } from '../api/types.ts';
import type { ExecutionFilters } from './execution-filters.ts';
import { applyArrivals, keepArrival, type ExecutionPage } from './live-executions.ts';

const steps = ['requested', 'scheduled', 'running', 'succeeded'] as const;
const noFilters: ExecutionFilters = { action: '', pack: '', status: '', rule: '', user: '', timestamp_gt: '', timestamp_lt: '' };

/** Execution `id` at step `step` of its life (its log one entry a step), as the stream sends it. */
function state(id: string, step: number, action = 'core.noop'): Execution {
  const at = '2026-12-05T06:00:00.000000Z';
  return readExecution({
    id,
    action: { ref: action, pack: action.split('.')[0] },
    status: steps[step],
    start_timestamp: at,
    context: { user: 'admin' },
    log: steps.slice(0, step + 1).map((status) => ({ status, timestamp: at })),
  });
}

/** A burst as a busy server sends it: `count` executions created in order, their updates interleaved. */
function burst(count: number): Execution[] {
  const events: Execution[] = [];
  const flight: { id: string; step: number }[] = [];
  for (let created = 0; created < count || flight.length > 0; ) {
    if (created < count && flight.length < 5) {
      const id = `e${String(created).padStart(4, '0')}`;
      created += 1;
      flight.push({ id, step: 0 });
      events.push(state(id, 0));
      continue;
    }
    const next = flight.shift()!;
    next.step += 1;
    events.push(state(next.id, next.step));
    if (next.step < steps.length - 1) flight.push(next);
  }
  return events;
}

/** The burst kept as the list keeps it between flushes, flushed every `every` events. */
function flushEvery(page: ExecutionPage, events: Execution[], every: number, view = { filters: noFilters, firstPage: true, pageSize: 50 }): { page: ExecutionPage; flushes: number } {
  const pending = new Map<string, Execution>();
  let flushes = 0;
  for (const [index, event] of events.entries()) {
    keepArrival(pending, event);
    if ((index + 1) % every === 0 || index === events.length - 1) {
      page = applyArrivals(page, pending.values(), view);
      pending.clear();
      flushes += 1;
    }
  }
  return { page, flushes };
}

describe('the execution list applying stream events in batches', () => {
  it('ends a burst of 400 updates in three flushes with every execution in its final state, newest first', () => {
    const events = burst(100);
    expect(events).toHaveLength(400);
    const { page, flushes } = flushEvery({ items: [state('old', 3)], total: 1 }, events, 150);
    expect(flushes).toBe(3);
    expect(page.total).toBe(101);
    expect(page.items.map((item) => item.id)).toEqual(Array.from({ length: 50 }, (_, index) => `e${String(99 - index).padStart(4, '0')}`));
    expect(page.items.every((item) => item.status === 'succeeded')).toBe(true);
  });

  it('gives the same page flushed after every event as flushed once', () => {
    const events = burst(30);
    const empty = { items: [], total: 0 };
    expect(flushEvery(empty, events, 1).page).toEqual(flushEvery(empty, events, events.length).page);
  });

  it('never lets an older state replace a newer one, in the batch or on the page', () => {
    const pending = new Map<string, Execution>();
    keepArrival(pending, state('a', 2));
    keepArrival(pending, state('a', 1));
    expect(pending.get('a')?.status).toBe('running');

    // The page read from the server after the update was sent: the late event changes nothing.
    const page = { items: [state('a', 3)], total: 1 };
    expect(applyArrivals(page, pending.values(), { filters: noFilters, firstPage: true, pageSize: 50 })).toBe(page);
  });

  it('adds only executions matching the filters, and none on later pages, but updates rows shown there', () => {
    const shown = { items: [state('a', 1, 'core.local')], total: 80 };
    const arrived = [state('a', 3, 'core.local'), state('b', 0, 'core.local'), state('c', 0, 'core.noop')];
    const filtered = applyArrivals(shown, arrived, { filters: { ...noFilters, action: 'core.local' }, firstPage: true, pageSize: 50 });
    expect(filtered.items.map((item) => [item.id, item.status])).toEqual([
      ['b', 'requested'],
      ['a', 'succeeded'],
    ]);
    expect(filtered.total).toBe(81);
    const later = applyArrivals(shown, arrived, { filters: noFilters, firstPage: false, pageSize: 50 });
    expect(later.items.map((item) => [item.id, item.status])).toEqual([['a', 'succeeded']]);
    expect(later.total).toBe(80);
  });
});
