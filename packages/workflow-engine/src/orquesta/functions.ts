import type { Json } from '../driver.ts';
import { completedStatuses } from './statuses.ts';

/**
 * Orquesta's expression functions (ctx, result, succeeded, item, task_status, json, zip...) and
 * StackStorm's additions (task, st2kv), written once over an EvaluationScope and registered in
 * both expression languages by expressions.ts.
 */

/** What a task's expressions can see of the workflow while they are evaluated. */
export interface EvaluationScope {
  /** The task's context: what `ctx()` returns. */
  vars: Record<string, Json>;
  currentTask?: { id: string; route: number; result?: Json; hasResult: boolean };
  /** The current with-items item, when evaluating an item's action and input. */
  item?: { value: Json };
  /** The status and record of a task on a route, reading earlier routes as orquesta does. */
  tasks?: TaskLookup;
  /** st2kv(): the datastore, through the runtime. */
  keyValue?: (key: string, scope: 'system' | 'user', decrypt: boolean) => string | undefined;
}

interface TaskLookup {
  status(taskId: string, route: number): string;
  record(taskId: string, route: number): Json | undefined;
}

/** A function failed for a reason the workflow author should read; named as orquesta names it. */
export class FunctionFailure extends Error {
  constructor(readonly pythonType: string, message: string) {
    super(message);
    this.name = 'FunctionFailure';
  }
}

interface FunctionArguments {
  positional: unknown[];
  keywords: Record<string, unknown>;
}

type OrquestaFunction = (args: FunctionArguments, scope: EvaluationScope) => unknown;

function currentTask(scope: EvaluationScope): NonNullable<EvaluationScope['currentTask']> {
  if (scope.currentTask === undefined) throw new FunctionFailure('ExpressionEvaluationException', 'The current task is not set in the context.');
  return scope.currentTask;
}

function optionalRoute(value: unknown, scope: EvaluationScope): number {
  if (value === undefined || value === null) return scope.currentTask?.route ?? 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new FunctionFailure('TypeError', 'The route is not an integer.');
  return value;
}

function taskId(value: unknown): string {
  if (typeof value !== 'string') throw new FunctionFailure('TypeError', 'The task id is not a string.');
  return value;
}

function ctx(args: FunctionArguments, scope: EvaluationScope): unknown {
  const key = args.positional[0];
  if (key === undefined || key === null || key === '') {
    return Object.fromEntries(Object.entries(scope.vars).filter(([name]) => !name.startsWith('__')));
  }
  if (typeof key !== 'string' || !Object.hasOwn(scope.vars, key)) {
    throw new FunctionFailure('VariableUndefinedError', `The variable "${String(key)}" is undefined.`);
  }
  if (key.startsWith('__')) throw new FunctionFailure('VariableInaccessibleError', `The variable "${key}" is for internal use and inaccessible.`);
  return scope.vars[key];
}

function item(args: FunctionArguments, scope: EvaluationScope): unknown {
  if (scope.item === undefined) throw new FunctionFailure('ExpressionEvaluationException', 'The current item is not set in the context.');
  const key = args.positional[0];
  const current = scope.item.value;
  if (key === undefined || key === null || key === '') return current;
  if (current === null || typeof current !== 'object' || Array.isArray(current)) {
    throw new FunctionFailure('ExpressionEvaluationException', 'Item is not type of collections.abc.Mapping.');
  }
  if (typeof key !== 'string' || !Object.hasOwn(current, key)) throw new FunctionFailure('ExpressionEvaluationException', `Item does not have key "${String(key)}".`);
  return current[key];
}

function statusOf(scope: EvaluationScope): string {
  const task = currentTask(scope);
  return scope.tasks?.status(task.id, task.route) ?? 'null';
}

function json(args: FunctionArguments): unknown {
  const value = args.positional[0];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  if (typeof value !== 'string') throw new FunctionFailure('TypeError', 'Given object is not typeof string.');
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new FunctionFailure('JSONDecodeError', error instanceof Error ? error.message : String(error));
  }
}

/** zip(a, b, pad=x): Python's zip_longest, filling with `pad`; one list alone is returned as it is. */
function zip(args: FunctionArguments): unknown {
  const lists = args.positional.map((list) => (list === null || list === undefined ? [] : list));
  for (const list of lists) if (!Array.isArray(list)) throw new FunctionFailure('TypeError', 'zip() takes lists.');
  const arrays = lists as unknown[][];
  if (arrays.length === 1) return arrays[0];
  const pad = args.keywords['pad'] ?? null;
  const length = Math.max(0, ...arrays.map((list) => list.length));
  return Array.from({ length }, (_, index) => arrays.map((list) => (index < list.length ? list[index] : pad)));
}

function task(args: FunctionArguments, scope: EvaluationScope): unknown {
  const id = args.positional[0] === undefined || args.positional[0] === null ? currentTask(scope).id : taskId(args.positional[0]);
  const route = optionalRoute(args.positional[1] ?? args.keywords['route'], scope);
  const record = scope.tasks?.record(id, route);
  if (record === undefined) throw new FunctionFailure('ExpressionEvaluationException', `Unable to find task execution for "${id}".`);
  return record;
}

/** st2kv('system.key' | 'user.key' | 'key', decrypt=false, default=...): a datastore value; a bare key is the user's, as in st2. */
function st2kv(args: FunctionArguments, scope: EvaluationScope): unknown {
  const key = args.positional[0];
  if (typeof key !== 'string') throw new FunctionFailure('TypeError', 'Given key is not typeof string.');
  const decrypt = args.keywords['decrypt'] ?? args.positional[1] ?? false;
  if (typeof decrypt !== 'boolean') throw new FunctionFailure('TypeError', 'Decrypt parameter is not typeof bool.');
  const [kvScope, name] = key.startsWith('user.') ? (['user', key.slice(5)] as const) : key.startsWith('system.') ? (['system', key.slice(7)] as const) : (['user', key] as const);
  if (scope.keyValue === undefined) throw new FunctionFailure('ExpressionEvaluationException', 'The datastore is not available here.');
  const value = scope.keyValue(name, kvScope, decrypt);
  if (value !== undefined) return value;
  if (Object.hasOwn(args.keywords, 'default')) return args.keywords['default'];
  throw new FunctionFailure('ExpressionEvaluationException', `The key "${name}" does not exist in the StackStorm datastore.`);
}

export const orquestaFunctions: ReadonlyMap<string, OrquestaFunction> = new Map<string, OrquestaFunction>([
  ['ctx', ctx],
  ['result', (_args, scope) => currentTask(scope).result ?? null],
  ['succeeded', (_args, scope) => statusOf(scope) === 'succeeded'],
  ['failed', (_args, scope) => statusOf(scope) === 'failed'],
  ['completed', (_args, scope) => completedStatuses.has(statusOf(scope))],
  ['item', item],
  ['task_status', (args, scope) => scope.tasks?.status(taskId(args.positional[0]), optionalRoute(args.positional[1], scope)) ?? 'null'],
  ['task', task],
  ['st2kv', st2kv],
  ['json', json],
  ['zip', zip],
]);

