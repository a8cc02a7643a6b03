import { completedStatuses, unset } from './statuses.ts';

/**
 * A with-items task's item statuses, one character per item. The conductor's state holds them for
 * every item of a task that runs (a thousand items, a thousand statuses) and every step copies
 * the state: as one short string they copy and serialize at the cost of a string, where a list of
 * `{status}` objects cost the walk of a thousand objects each time.
 */
const codeOf: Record<string, string> = {
  [unset]: '-',
  requested: 'q',
  scheduled: 'h',
  delayed: 'd',
  running: 'r',
  resuming: 'u',
  pausing: 'p',
  paused: 'P',
  pending: 'w',
  canceling: 'c',
  canceled: 'C',
  succeeded: 's',
  failed: 'f',
  timeout: 't',
  abandoned: 'a',
  retrying: 'y',
};
/** Every status an item can have that is not completed (not run yet included). */
export const incompleteStatuses: ReadonlySet<string> = new Set(Object.keys(codeOf).filter((status) => !completedStatuses.has(status)));

const statusOf: Record<string, string> = Object.fromEntries(Object.entries(codeOf).map(([status, code]) => [code, status]));

function code(status: string): string {
  const found = codeOf[status];
  if (found === undefined) throw new Error(`A with-items item cannot have the status "${status}".`);
  return found;
}

/** `count` items, none run yet. */
export function freshItems(count: number): string {
  return codeOf[unset]!.repeat(count);
}

export function itemStatus(items: string, index: number): string {
  return statusOf[items[index] ?? ''] ?? unset;
}

export function withItemStatus(items: string, index: number, status: string): string {
  if (index < 0 || index >= items.length) return items;
  return items.slice(0, index) + code(status) + items.slice(index + 1);
}

/** Every item's status, in item order. */
export function itemStatuses(items: string): string[] {
  return Array.from(items, (character) => statusOf[character] ?? unset);
}

/** Whether any item (but `except`) has one of the statuses. */
export function anyItemIn(items: string, statuses: ReadonlySet<string>, except?: number): boolean {
  for (const status of statuses) {
    const wanted = codeOf[status];
    if (wanted === undefined) continue;
    for (let at = items.indexOf(wanted); at !== -1; at = items.indexOf(wanted, at + 1)) if (at !== except) return true;
  }
  return false;
}

/** How many items have one of the statuses. */
export function countItemsIn(items: string, statuses: ReadonlySet<string>): number {
  let count = 0;
  for (const status of statuses) {
    const wanted = codeOf[status];
    if (wanted === undefined) continue;
    for (let at = items.indexOf(wanted); at !== -1; at = items.indexOf(wanted, at + 1)) count += 1;
  }
  return count;
}

/** States written before: a list of `{status}` objects, read as the string. */
export function itemsFromList(list: Array<{ status: string }>): string {
  return list.map((item) => code(item.status)).join('');
}
