import type { Json } from '../driver.ts';
import { clone } from '../clone-json.ts';
import type { TaskSpec } from './spec.ts';

/**
 * The conductor's state, laid out as orquesta's WorkflowState is (contexts by index, a sequence of
 * task entries keyed `task__r<route>`, staged tasks, routes, errors), and the small helpers over
 * its data.
 */

export type Vars = Record<string, Json>;

export interface RetryState {
  when: string | null;
  count: number;
  delay: number;
  tally: number;
}

export interface TaskEntry {
  id: string;
  route: number;
  ctxs: { in: number[]; out?: Record<string, number> };
  prev: Record<string, number>;
  next: Record<string, boolean>;
  status?: string;
  retry?: RetryState;
  term?: boolean;
  /** The task's result, kept for `task()` (a with-items task's is its item list's). */
  result?: Json;
  /** With-items: the list its items' ends are written to (beside the workflow, not in this state) and how many items it has. */
  itemList?: { list: string; count: number };
  /** With-items, in states written before item lists: each item's `{status, result}`. */
  items?: Json[];
  startedAt?: number;
  endedAt?: number;
}

export interface StagedTask {
  id: string;
  route: number;
  ctxs: { in: number[] };
  prev: Record<string, number>;
  ready: boolean;
  retry?: RetryState;
  /** With-items: each item's status, one character per item (item-statuses.ts). */
  items?: string;
  /** With-items: the concurrency the items were first rendered with (null: none). */
  concurrency?: number | null;
  completed?: boolean;
  run_on_fail?: boolean;
}

export interface ErrorEntry {
  type: 'error';
  message: string;
  task_id?: string;
  route?: number;
  task_transition_id?: string;
  result?: Json;
}

export interface ConductorState {
  status: string;
  contexts: Vars[];
  routes: string[][];
  sequence: TaskEntry[];
  tasks: Record<string, number>;
  staged: StagedTask[];
  errors: ErrorEntry[];
  output: Json | null;
  reruns: number[][];
}

interface ActionRequest {
  action: string | null;
  input: Json;
  itemId?: number;
}

export interface NextTask {
  id: string;
  route: number;
  spec: TaskSpec;
  vars: Vars;
  actions: ActionRequest[];
  delay?: number;
  itemsCount?: number;
  concurrency?: number | null;
}

export interface TaskEvent {
  status: string;
  result?: Json;
  itemId?: number;
  /** With-items with no items: the task's (empty) result. */
  accumulated?: Json[];
  /** With-items: the list this run's items end in, read once the task completes. */
  itemList?: string;
}

/** How many inherited contexts a task keeps listed before they are merged into one. */
export const maxContextList = 6;

export const entryKey = (taskId: string, route: number): string => `${taskId}__r${route}`;
export const transitionId = (taskId: string, key: number): string => `${taskId}__t${key}`;

/** Python's truth of a value, which is what orquesta tests `when` with. */
export function truthy(value: Json): boolean {
  if (value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export function mergeInto(left: Vars, right: Vars): Vars {
  for (const [key, value] of Object.entries(right)) {
    const existing = left[key];
    if (existing !== undefined && isDict(existing) && isDict(value)) mergeInto(existing, value);
    else Object.defineProperty(left, key, { value: clone(value), enumerable: true, writable: true, configurable: true });
  }
  return left;
}

export function isDict(value: Json | undefined): value is Vars {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
