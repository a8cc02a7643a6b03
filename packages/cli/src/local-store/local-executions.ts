import os from 'node:os';
import {
  createInProcessBus,
  dataPaths,
  isPackrunError,
  maskSecrets,
  nowIso,
  openExecutionOutputPieces,
  readExecutionResult,
  st2Execution,
  st2Executions,
  toFailure,
  PackrunError,
  type ActionMeta,
  type ActionOutcome,
  type ExecutionRecord,
  type Filter,
  type Logger,
  type ParameterOrigin,
  type PackrunConfig,
  type SpawnDecorator,
  type St2Execution,
} from '@packrun/core';
import { createStoreLedger, runAction } from '@packrun/action-runner';
import type { LocalStore } from './local-store.ts';
import { OutputEcho } from '../output/output-echo.ts';

/**
 * Executions in the store of PACKRUN_HOME while no server runs: `packrun run` records its
 * execution there as the server's runner would (running, then its outcome, big output in blobs),
 * and `packrun execution get/list/tail` read them, so what was done offline is in the server's
 * history after `packrun up`.
 */
export interface LocalRunRequest {
  action: ActionMeta;
  parameters: Record<string, unknown>;
  executionId: string;
  signal: AbortSignal;
  parameterOrigin: ParameterOrigin;
  decorator: SpawnDecorator;
  /** Each chunk of the action's output as the job writes it. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/**
 * Runs the action in this process against the store's datastore and records it in the store. The
 * store stays open (and the embedded store locked) until the outcome is stored: a server started
 * meanwhile refuses with STORE_LOCKED naming this process, rather than reaping a run it cannot see.
 */
export async function runInStore(config: PackrunConfig, local: LocalStore, request: LocalRunRequest, logger: Logger): Promise<ActionOutcome> {
  const { store } = local;
  const runnerId = `cli-${os.hostname()}-${process.pid}`;
  const secretNames = Object.entries(request.action.parameters).filter(([, spec]) => spec.secret).map(([name]) => name);
  const at = nowIso();
  await store.executions.insert({
    id: request.executionId,
    action: request.action.ref,
    pack: request.action.pack,
    runnerType: request.action.runnerType,
    parameters: maskSecrets(request.parameters, secretNames),
    status: 'running',
    log: [
      { status: 'requested', at, by: local.user },
      { status: 'running', at, by: runnerId },
    ],
    createdAt: at,
    startedAt: at,
    runnerId,
    context: { user: local.user, via: 'packrun run without a server' },
    user: local.user,
    parameterOrigin: request.parameterOrigin,
  });
  // The ledger the server's runners report to, over this store: the outcome is stored as theirs is.
  const ledger = createStoreLedger({
    store,
    bus: createInProcessBus({ logger }),
    logger,
    staleAfterMs: 3 * config.runnerHeartbeatSeconds * 1000,
    // Nothing is claimed here (the run holds its parameters already): no sealed secrets to open.
    openSecrets: () => ({}),
    resultInlineBytes: config.resultInlineBytes,
  });
  let outcome: ActionOutcome;
  try {
    outcome = await runAction({
      paths: dataPaths(config.home),
      // One execution in a process that then exits: a zygote would cost its start-up and never be
      // forked from again, so the action starts cold.
      config: { ...config, warmSpawn: false },
      ref: request.action.ref,
      input: request.parameters,
      parameterOrigin: request.parameterOrigin,
      datastore: local.keyValues,
      user: local.user,
      executionId: request.executionId,
      signal: request.signal,
      decorator: request.decorator,
      logger,
      ...(request.onOutput ? { onOutput: request.onOutput } : {}),
    });
  } catch (error) {
    if (isPackrunError(error) && error.userError) {
      // Refused (a bad parameter, a pack missing): as through the API, nothing is recorded.
      await store.removeExecutions({ id: request.executionId });
    } else {
      await ledger.complete({ executionId: request.executionId, runnerId, error: toFailure(error) });
    }
    throw error;
  }
  await ledger.complete({ executionId: request.executionId, runnerId, outcome });
  return outcome;
}

/** The execution as the API shows it (core's st2Execution), its whole result read from the blobs. */
export async function getFromStore(local: LocalStore, id: string): Promise<St2Execution> {
  const record = await local.store.executions.get(id);
  if (!record) throw new PackrunError('EXECUTION_NOT_FOUND', `execution "${id}" does not exist`, { details: { execution: id } });
  const action = await local.store.actions.get(record.action);
  const view = st2Execution(record, action ? { action } : {});
  const result = await readExecutionResult(local.store.executionBlobs, record);
  if (result === undefined) return view;
  const { result_omitted: _omitted, ...whole } = view;
  return { ...whole, result };
}

export interface LocalListQuery {
  action?: string;
  status?: string;
  parent?: string;
  timestamp_gt?: string;
  timestamp_lt?: string;
  limit: string;
  offset: string;
}

function wholeNumber(raw: string, option: string, least: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < least) {
    throw new PackrunError('CLI_PARAMETERS_INVALID', `--${option} must be a whole number of at least ${least}, got "${raw}"`);
  }
  return value;
}

function instant(raw: string, option: string): string {
  const time = new Date(raw);
  if (Number.isNaN(time.getTime())) throw new PackrunError('CLI_PARAMETERS_INVALID', `--${option} must be an ISO-8601 time, got "${raw}"`);
  return time.toISOString();
}

/** Executions newest first, filtered as GET /api/v1/executions filters them; results stay in their blobs. */
export async function listFromStore(local: LocalStore, query: LocalListQuery): Promise<{ items: St2Execution[]; total: number }> {
  const filter: Filter<ExecutionRecord> = {};
  if (query.action) filter.action = query.action;
  if (query.status) filter.status = query.status as ExecutionRecord['status'];
  if (query.parent) filter.parent = query.parent;
  if (query.timestamp_gt || query.timestamp_lt) {
    filter.createdAt = {
      ...(query.timestamp_gt ? { $gt: instant(query.timestamp_gt, 'since') } : {}),
      ...(query.timestamp_lt ? { $lt: instant(query.timestamp_lt, 'until') } : {}),
    };
  }
  const limit = Math.min(wholeNumber(query.limit, 'limit', 1), 1000);
  const skip = wholeNumber(query.offset, 'offset', 0);
  const [total, records] = await Promise.all([
    local.store.executions.count(filter),
    local.store.executions.find(filter, { sort: { createdAt: -1, id: -1 }, skip, limit }),
  ]);
  return { items: await st2Executions(local.store.actions, records, { listed: true }), total };
}

/**
 * Writes an execution's stored stdout and stderr (from its blobs when they are big) to this
 * process's own in the order the action wrote them, or hands each piece to `onChunk`
 * (`execution tail --json`); returns the record.
 * Nothing runs while no server does, so what is stored is all.
 */
export async function printStoredOutput(local: LocalStore, id: string, onChunk?: (chunk: { stream: 'stdout' | 'stderr'; data: string }) => void): Promise<St2Execution> {
  const record = await local.store.executions.get(id);
  if (!record) throw new PackrunError('EXECUTION_NOT_FOUND', `execution "${id}" does not exist`, { details: { execution: id } });
  // In the order the action wrote it, as the server's stream replays it.
  const echo = new OutputEcho();
  const written = { stdout: 0, stderr: 0 };
  for await (const piece of await openExecutionOutputPieces(local.store.executionBlobs, record)) {
    if (onChunk) {
      onChunk({ stream: piece.stream, data: piece.text });
      continue;
    }
    echo.write(piece.stream, piece.text);
    written[piece.stream] += Buffer.byteLength(piece.text);
    // Stored output lost its final newline (as StackStorm's results do): given back where that
    // stream ended, so each stream's last line ends where it was written.
    if (record.outputSize !== undefined && written[piece.stream] >= record.outputSize[piece.stream]) echo.endOpenLine(piece.stream);
  }
  echo.endOpenLine('stderr');
  const action = await local.store.actions.get(record.action);
  return st2Execution(record, action ? { action } : {});
}

/** The executions a workflow execution started, each followed by its own (as GET /executions/{id}/children). */
export async function descendantsFromStore(local: LocalStore, id: string): Promise<St2Execution[]> {
  const found: ExecutionRecord[] = [];
  const walk = async (parent: string): Promise<void> => {
    for (const child of await local.store.executions.find({ parent }, { sort: { createdAt: 1, id: 1 }, limit: 10_000 })) {
      found.push(child);
      if ((child.children?.length ?? 0) > 0) await walk(child.id);
    }
  };
  await walk(id);
  return st2Executions(local.store.actions, found, { listed: true });
}
