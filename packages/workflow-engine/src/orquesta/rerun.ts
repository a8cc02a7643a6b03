import type { Conductor } from './conductor.ts';
import { entryKey, type TaskEntry } from './state.ts';
import { abendedStatuses, unset } from './statuses.ts';
import { freshItems, itemStatuses, withItemStatus } from './item-statuses.ts';

/**
 * Orquesta's request_workflow_rerun over a completed workflow: the named tasks (or, without
 * names, the failed terminal ones) are staged to run again, with the tasks after them, and the
 * workflow resumes. A task named that ran after another one named is left to that one's run.
 */
export function rerunWorkflow(conductor: Conductor, taskIds: string[]): void {
  const { state } = conductor;
  const requested = new Map<string, TaskEntry>();
  for (const taskId of taskIds) {
    const [id, routeText] = taskId.includes('__r') ? taskId.split('__r') : [taskId, '0'];
    const entry = conductor.entry(id!, Number(routeText));
    if (entry === undefined) throw new Error(`The task "${taskId}" did not run in this workflow, so it cannot be run again.`);
    requested.set(entryKey(entry.id, entry.route), entry);
  }
  let candidates: TaskEntry[];
  if (requested.size === 0) {
    candidates = state.sequence.filter((entry) => entry.term === true && entry.status !== undefined && abendedStatuses.has(entry.status));
  } else {
    const following = new Map([...requested].map(([key, entry]) => [key, new Set(sequenceFrom(conductor, entry))]));
    candidates = [...requested.entries()]
      .filter(([key]) => requested.size === 1 || [...following.entries()].some(([other, set]) => other !== key && [...following.get(key)!].some((index) => !set.has(index))))
      .map(([, entry]) => entry);
  }
  state.reruns.push(candidates.map((entry) => state.sequence.indexOf(entry)));
  // st2 runs every item of a with-items task named in the request again (`no_reset` aside), and
  // only the failed items of one it picks itself.
  for (const entry of [...candidates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.route - b.route))) {
    rerunTask(conductor, entry, requested.has(entryKey(entry.id, entry.route)));
  }
  for (const entry of state.sequence) {
    if (entry.term === true && Object.values(entry.next).some(Boolean)) delete entry.term;
  }
  state.output = null;
  state.status = 'resuming';
}

/** The entry and every entry that ran after it (by their `prev` links), as sequence indexes. */
function sequenceFrom(conductor: Conductor, start: TaskEntry): number[] {
  const { sequence } = conductor.state;
  const indexes = [sequence.indexOf(start)];
  const queue: TaskEntry[] = [start];
  while (queue.length > 0) {
    const currentIndex = sequence.indexOf(queue.shift()!);
    sequence.forEach((entry, index) => {
      if (Object.values(entry.prev).includes(currentIndex) && !indexes.includes(index)) {
        indexes.push(index);
        queue.push(entry);
      }
    });
  }
  return indexes;
}

/** The items a rerun runs again marked not run: all of them, or the failed ones. */
function freshItemsFor(items: string, all: boolean): string {
  if (all) return freshItems(items.length);
  return itemStatuses(items).reduce((kept, status, index) => (abendedStatuses.has(status) ? withItemStatus(kept, index, unset) : kept), items);
}

function rerunTask(conductor: Conductor, entry: TaskEntry, resetItems: boolean): void {
  const { state } = conductor;
  delete entry.term;
  const staged = conductor.staged(entry.id, entry.route);
  if (staged !== undefined) delete staged.completed;
  state.errors = state.errors.filter((error) => error.task_id !== entry.id);
  if (conductor.graph.task(entry.id)?.with !== undefined && staged !== undefined) {
    staged.items = freshItemsFor(staged.items ?? '', resetItems);
  } else {
    conductor.addEntry(entry.id, entry.route, entry.ctxs.in, entry.prev);
    conductor.addStaged(entry.id, entry.route, entry.ctxs.in, entry.prev, true);
  }
  for (const index of sequenceFrom(conductor, entry)) delete state.sequence[index]!.term;
}
