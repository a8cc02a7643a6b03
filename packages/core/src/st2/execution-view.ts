import type { Failure } from '../errors.ts';
import type { ExecutionStatus, StopReason } from '../execution.ts';
import { isWorkflowRunner } from '../params/runner-parameters.ts';
import { jsonFitsIn } from '../store/json-value.ts';
import type { ActionRecord, ExecutionRecord, Store } from '../store/types.ts';
import { st2Action, st2ActionOfRef, type St2ActionOfExecution } from './action-view.ts';
import { st2RunnerType, type St2RunnerType } from './runner-types.ts';

/** One entry of an execution's `log`: st2's `{status, timestamp}`, with who made the change and why. */
export interface St2LogEntry {
  status: ExecutionStatus;
  timestamp: string;
  by?: string;
  reason?: string;
}

/** st2's liveaction of an execution: the request as the runner sees it. */
export interface St2LiveAction {
  id: string;
  action: string;
  action_is_workflow: boolean;
  parameters: Record<string, unknown>;
  status: ExecutionStatus;
  context: Record<string, unknown>;
  callback: Record<string, unknown>;
  /** Which of Packrun's action runners took it (st2: the host and pid of its runner). */
  runner_info: { runner_id?: string };
  notify?: Record<string, unknown>;
  /** st2's: the milliseconds it was asked to wait `delayed` before it was scheduled. */
  delay?: number;
  start_timestamp: string;
  end_timestamp?: string;
}

/**
 * An execution as the API, the stream and the `packrun` CLI show it: StackStorm 3.9's
 * ActionExecution (snake_case, `action` and `runner` objects, `liveaction`), with Packrun's own
 * data st2 has no field for, in snake_case. Never the sealed secret values nor where blobs are.
 */
export interface St2Execution {
  id: string;
  action: St2ActionOfExecution;
  runner: St2RunnerType | { name: string };
  liveaction: St2LiveAction;
  status: ExecutionStatus;
  /** st2's: the milliseconds it was asked to wait `delayed` before it was scheduled. */
  delay?: number;
  /** When it was requested (st2's meaning), not when a runner started it: `log` has that. */
  start_timestamp: string;
  end_timestamp?: string;
  elapsed_seconds?: number;
  /** Secret values shown as ********. */
  parameters: Record<string, unknown>;
  context: Record<string, unknown>;
  result?: Record<string, unknown>;
  result_size: number;
  parent?: string;
  children?: string[];
  log: St2LogEntry[];
  rule?: { ref: string; name: string; pack: string; uid: string };
  trigger_instance?: { id: string };
  /** The execution's page in the web UI, when the UI is served. */
  web_url?: string;
  // Packrun's own.
  /** Why it failed when the failure is Packrun's, not the action's (a bad pack, a lost runner). */
  error?: Failure;
  stop_reason?: StopReason;
  /** Whether stdout/stderr were cut at the output cap. */
  truncated?: { stdout: boolean; stderr: boolean };
  /** Bytes of stdout and stderr as kept. */
  output_size?: { stdout: number; stderr: number };
  /** true when `result` is not the whole result document: GET `result_url` has it. */
  result_omitted?: true;
  result_url?: string;
  /** GET it for stdout and stderr, whole. */
  output_url?: string;
  /** The end of the output, kept in the records of Packrun versions before blobs. */
  stdout_tail?: string;
  stderr_tail?: string;
}

/** Top-level fields of an execution, for `include_attributes` / `exclude_attributes`. */
export const st2ExecutionFields: readonly string[] = [
  'id', 'action', 'runner', 'liveaction', 'status', 'start_timestamp', 'end_timestamp', 'elapsed_seconds',
  'parameters', 'context', 'result', 'result_size', 'parent', 'children', 'log', 'rule', 'trigger_instance', 'web_url',
  'error', 'stop_reason', 'truncated', 'output_size', 'result_omitted', 'result_url', 'output_url', 'stdout_tail', 'stderr_tail',
];

export interface ExecutionViewOptions {
  /** The execution's action record, when it still exists. */
  action?: ActionRecord;
  /**
   * A result document over this many bytes of JSON is left out (`result_omitted`); a list passes
   * the inline limit, a single execution infinity (what the record holds is shown).
   */
  inlineBytes?: number;
  /** In a list: the output tails of old records are left out too. */
  listed?: boolean;
  /** The web UI's address, when it is served: the execution gets st2's `web_url`, its page there. */
  webUiBase?: string;
}

const base = (id: string): string => `/api/v1/executions/${encodeURIComponent(id)}`;

function ruleOf(ref: string): NonNullable<St2Execution['rule']> {
  const dot = ref.indexOf('.');
  const pack = dot > 0 ? ref.slice(0, dot) : '';
  const name = dot > 0 ? ref.slice(dot + 1) : ref;
  return { ref, name, pack, uid: `rule:${pack}:${name}` };
}

/**
 * Packrun installs and removes packs itself (the API's built-in executions); st2 runs them as
 * workflows, packs.install in Orquesta and packs.uninstall in action-chain, whose tasks its CLI
 * prints as the progress and whose failure it prints as a workflow's. Those executions, with their
 * stages as child tasks, are shown with st2's runner so that clients treat them as st2's.
 */
const builtinWorkflowRunners: Readonly<Record<string, 'orquesta' | 'action-chain'>> = { 'packs.install': 'orquesta', 'packs.uninstall': 'action-chain' };

/** The workflow runner st2 runs built-in operation `action` with, if it is one of those. */
export function builtinWorkflowRunner(action: string): 'orquesta' | 'action-chain' | undefined {
  return builtinWorkflowRunners[action];
}

/** The one serializer of an execution record (routes, stream payloads, the CLI's offline reads). */
export function st2Execution(record: ExecutionRecord, options: ExecutionViewOptions = {}): St2Execution {
  const stored = record.runnerType ?? options.action?.runnerType;
  const runnerType = stored === 'builtin' ? (builtinWorkflowRunner(record.action) ?? stored) : stored;
  const inlineBytes = options.inlineBytes ?? Number.POSITIVE_INFINITY;
  const context: Record<string, unknown> = { ...record.context };
  if (context['user'] === undefined && record.user !== undefined) context['user'] = record.user;
  if (context['pack'] === undefined) context['pack'] = record.pack;
  if (record.rerunOf !== undefined && context['re-run'] === undefined) context['re-run'] = { ref: record.rerunOf };

  const liveaction: St2LiveAction = {
    id: record.id,
    action: record.action,
    action_is_workflow: isWorkflowRunner(runnerType),
    parameters: record.parameters,
    status: record.status,
    context,
    callback: {},
    runner_info: record.runnerId === undefined ? {} : { runner_id: record.runnerId },
    start_timestamp: record.createdAt,
    ...(record.notify ? { notify: record.notify } : {}),
    ...(record.delayMs ? { delay: record.delayMs } : {}),
    ...(record.endedAt ? { end_timestamp: record.endedAt } : {}),
  };
  const view: St2Execution = {
    id: record.id,
    action: options.action ? st2Action(options.action) : st2ActionOfRef(record.action, runnerType),
    runner: (runnerType === undefined ? undefined : st2RunnerType(runnerType)) ?? { name: runnerType ?? '' },
    liveaction,
    status: record.status,
    ...(record.delayMs ? { delay: record.delayMs } : {}),
    start_timestamp: record.createdAt,
    parameters: record.parameters,
    context,
    result_size: record.resultSize ?? 0,
    log: record.log.map((change) => ({
      status: change.status,
      timestamp: change.at,
      ...(change.by === undefined ? {} : { by: change.by }),
      ...(change.reason === undefined ? {} : { reason: change.reason }),
    })),
  };
  if (record.endedAt !== undefined) {
    view.end_timestamp = record.endedAt;
    view.elapsed_seconds = Math.max(0, Date.parse(record.endedAt) - Date.parse(record.createdAt)) / 1000;
  }
  if (record.parent !== undefined) view.parent = record.parent;
  if (record.children !== undefined) view.children = record.children;
  if (record.rule !== undefined) view.rule = ruleOf(record.rule);
  if (record.triggerInstance !== undefined) view.trigger_instance = { id: record.triggerInstance };
  if (options.webUiBase !== undefined) view.web_url = `${options.webUiBase.replace(/\/+$/, '')}/executions/${encodeURIComponent(record.id)}`;
  if (record.error !== undefined) view.error = record.error;
  if (record.stopReason !== undefined) view.stop_reason = record.stopReason;
  if (record.truncated !== undefined) view.truncated = record.truncated;
  if (record.outputSize !== undefined) view.output_size = record.outputSize;

  const oversized = record.resultBlobs === undefined && record.result !== undefined && inlineBytes !== Number.POSITIVE_INFINITY && !jsonFitsIn(record.result, inlineBytes);
  if (record.result !== undefined && !oversized) view.result = record.result;
  if (record.resultBlobs !== undefined || oversized) {
    view.result_omitted = true;
    view.result_url = `${base(record.id)}/result`;
  }
  if (record.result !== undefined || record.resultBlobs !== undefined) view.output_url = `${base(record.id)}/output`;
  if (!options.listed) {
    if (record.stdoutTail !== undefined) view.stdout_tail = record.stdoutTail;
    if (record.stderrTail !== undefined) view.stderr_tail = record.stderrTail;
  }
  return view;
}

/** Reads action records by ref, each once (a page of executions names few actions). */
export function actionLookup(actions: Pick<Store['actions'], 'get'>): (ref: string) => Promise<ActionRecord | undefined> {
  const seen = new Map<string, Promise<ActionRecord | undefined>>();
  return (ref) => {
    let found = seen.get(ref);
    if (!found) {
      found = actions.get(ref).catch(() => undefined);
      seen.set(ref, found);
    }
    return found;
  };
}

/** st2Execution of each record, with its action record from the store. */
export async function st2Executions(actions: Pick<Store['actions'], 'get'>, records: ExecutionRecord[], options: Omit<ExecutionViewOptions, 'action'> = {}): Promise<St2Execution[]> {
  const lookup = actionLookup(actions);
  return Promise.all(records.map(async (record) => {
    const action = await lookup(record.action);
    return st2Execution(record, { ...options, ...(action ? { action } : {}) });
  }));
}
