import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import {
  actionApiVariables,
  currentProcessIdentity,
  packGetsApi,
  isPackrunError,
  isStoreWriteFault,
  nowIso,
  toFailure,
  type ActionApiRoute,
  type ActionOutcome,
  type Bus,
  type Consumer,
  type DataPaths,
  type ExecutionRequestMessage,
  type KeyValues,
  type Logger,
  type PackrunConfig,
  type SpawnDecorator,
  type Subscription,
} from '@packrun/core';
import { runAction } from '../run-action.ts';
import type { ExecutionLedger } from './ledger.ts';

export interface ActionRunnerServiceOptions {
  config: PackrunConfig;
  paths: DataPaths;
  bus: Bus;
  ledger: ExecutionLedger;
  /**
   * The datastore actions read and write: the store's key-value service, or, as a function, the
   * one a given execution may use (a distributed runner's calls name the execution they serve).
   */
  datastore: KeyValues | ((executionId: string) => KeyValues);
  logger: Logger;
  heartbeatMs: number;
  decorator?: SpawnDecorator;
  /** Defaults to `<runnerIdPrefix><host>-<pid>-<random>`: unique per process, so a restarted runner is a new one. */
  runnerId?: string;
  /** What the API requires runner ids of this runner's key to start with (GET /api/v1/whoami). */
  runnerIdPrefix?: string;
  /**
   * How jobs reach StackStorm's API (actionApiRoute): jobs of the packs in PACKRUN_ACTION_API_PACKS
   * get it with a token of their own. Without it no job gets the API.
   */
  actionApi?: ActionApiRoute;
}

export interface ActionRunnerService {
  readonly id: string;
  running(): string[];
  /**
   * Stops taking work, lets running executions finish for up to `graceMs`, then stops the rest and
   * hands them back to the queue (they run again elsewhere), and stops beating.
   */
  stop(graceMs: number): Promise<void>;
}

const shutdownReason = 'runner shutting down';
const claimRetryDelayMs = 2000;

/**
 * Consumes execution requests (prefetch = concurrency) and runs each: claim through the ledger,
 * run with live output on the bus, store the result, and only then ack. Cancel events abort the
 * execution's controller; the launcher kills its whole process tree.
 */
export async function startActionRunnerService(options: ActionRunnerServiceOptions): Promise<ActionRunnerService> {
  const { config, paths, bus, ledger, datastore } = options;
  const id = options.runnerId ?? `${options.runnerIdPrefix ?? ''}${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const datastoreOf = typeof datastore === 'function' ? datastore : () => datastore;
  const logger = options.logger.child({ component: 'action-runner', runner: id });
  const inFlight = new Map<string, AbortController>();
  let stopping = false;

  // Which process this is, so that an API on this host tells late heartbeats from a dead runner.
  const { pid, host: _host, ...processIdentity } = currentProcessIdentity();
  const beat = async (): Promise<void> => {
    try {
      const { cancel } = await ledger.heartbeat({ id, host: os.hostname(), pid, processIdentity, concurrency: config.runnerConcurrency, running: [...inFlight.keys()] });
      for (const executionId of cancel) inFlight.get(executionId)?.abort('canceled');
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat not delivered');
    }
  };
  await beat();
  const heartbeat = setInterval(() => void beat(), options.heartbeatMs);

  /**
   * Stores the end of an execution, again and again while the store's disk refuses even the
   * failure the ledger makes of a refused result, or while the API (a distributed runner's ledger)
   * stays away: handed back instead, the request would come to this runner again and be skipped
   * as its own, leaving the execution running for ever. The execution stays in flight meanwhile,
   * so heartbeats keep saying this runner holds it.
   */
  async function completeDurably(request: Parameters<ExecutionLedger['complete']>[0]): Promise<void> {
    for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 30_000)) {
      try {
        await ledger.complete(request);
        return;
      } catch (error) {
        const apiAway = isPackrunError(error) && error.code === 'RUNNER_API_UNREACHABLE';
        if (!(isStoreWriteFault(error) || apiAway) || stopping) throw error;
        const why = apiAway ? 'the API does not answer' : 'the store refuses';
        logger.error({ err: error, executionId: request.executionId, retryInMs: delayMs }, `${why} to record the end of an execution; holding it and trying again`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async function handle(message: ExecutionRequestMessage, redelivered: boolean): Promise<void> {
    // Nack while stopping: the message goes back to the queue for another runner.
    if (stopping) throw new Error(shutdownReason);
    const executionId = message.executionId;
    // A second copy of a request this runner is already running (a resend after a broker hiccup).
    if (inFlight.has(executionId)) return;
    // Registered before the claim so that a cancel arriving right after it is not missed.
    const controller = new AbortController();
    inFlight.set(executionId, controller);
    try {
      const wantsApi = options.actionApi !== undefined && packGetsApi(config.actionApiPacks, message.action.slice(0, message.action.indexOf('.')));
      const claim = await ledger.claim({ executionId, runnerId: id, redelivered, ...(wantsApi ? { apiToken: true } : {}) }).catch(async (error: unknown) => {
        // The message goes back to the queue; pausing first keeps a runner whose API is away (or
        // whose key was revoked) from spinning through redeliveries.
        logger.warn({ err: error, executionId }, 'claim failed; handing the request back');
        await new Promise((resolve) => setTimeout(resolve, claimRetryDelayMs));
        throw error;
      });
      if (claim.decision === 'skip') {
        logger.info({ executionId, reason: claim.reason, redelivered }, 'execution request skipped');
        return;
      }
      const seq = { stdout: 0, stderr: 0 };
      // A chunk may end inside a multi-byte character; the decoder keeps the rest for the next one.
      const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
      let outcome: ActionOutcome | undefined;
      let failure: ReturnType<typeof toFailure> | undefined;
      try {
        outcome = await runAction({
          paths,
          config,
          ref: claim.execution.action,
          input: claim.parameters,
          datastore: datastoreOf(executionId),
          executionId,
          ...(claim.execution.user ? { user: claim.execution.user } : {}),
          ...(claim.execution.parameterOrigin ? { parameterOrigin: claim.execution.parameterOrigin } : {}),
          ...(claim.apiToken && options.actionApi
            ? { actionApi: { hostPorts: options.actionApi.hostPorts, variables: actionApiVariables(options.actionApi, claim.apiToken, 'action') } }
            : {}),
          signal: controller.signal,
          logger,
          services: {
            announce: (route, payload) => bus.publish('announcements', { route, payload, executionId, at: nowIso() }),
            injectTrigger: (injection) => ledger.injectTrigger({ ...injection, executionId, runnerId: id }),
            takesResponses: true,
          },
          ...(options.decorator ? { decorator: options.decorator } : {}),
          onOutput: (stream, chunk) => {
            const data = decoders[stream].write(chunk);
            if (data === '') return;
            void bus.publish('execution-output', { executionId, stream, seq: seq[stream]++, data }).catch(() => undefined);
          },
        });
      } catch (error) {
        failure = toFailure(error);
        logger.warn({ executionId, err: error }, 'execution failed before its action ran');
      }
      if (controller.signal.reason === shutdownReason) {
        await ledger.release({ executionId, runnerId: id });
        throw new Error(shutdownReason);
      }
      await completeDurably(outcome ? { executionId, runnerId: id, outcome } : { executionId, runnerId: id, error: failure ?? { type: 'Error', message: 'no outcome' } });
    } finally {
      inFlight.delete(executionId);
    }
  }

  const cancels: Subscription = await bus.subscribe('execution-cancel', (event) => {
    const controller = inFlight.get(event.executionId);
    if (controller) {
      logger.info({ executionId: event.executionId, by: event.requestedBy }, 'canceling execution');
      controller.abort('canceled');
    }
  });
  const consumer: Consumer = await bus.consume('executions', (message, info) => handle(message, info.redelivered), {
    prefetch: config.runnerConcurrency,
  });
  logger.info({ concurrency: config.runnerConcurrency }, 'action runner consuming');

  return {
    id,
    running: () => [...inFlight.keys()],
    async stop(graceMs: number): Promise<void> {
      stopping = true;
      const drained = consumer.cancel();
      const timer = setTimeout(() => {
        if (inFlight.size > 0) logger.warn({ executions: [...inFlight.keys()] }, 'grace period over: handing running executions back');
        for (const controller of inFlight.values()) controller.abort(shutdownReason);
      }, graceMs);
      await drained;
      clearTimeout(timer);
      clearInterval(heartbeat);
      await cancels.unsubscribe().catch(() => undefined);
    },
  };
}
