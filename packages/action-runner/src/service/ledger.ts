import type { ActionOutcome, ExecutionRecord, Failure, RunnerProcessIdentity } from '@packrun/core';
import type { TriggerInjection } from '../runner.ts';

/**
 * Where an action runner records what it does with an execution. Embedded (`packrun up`) it is the
 * store itself (store-ledger.ts); distributed, it is the API over HTTP (http-ledger.ts), so runners
 * need RabbitMQ and the API but never the database's credentials.
 */
export interface ExecutionLedger {
  /**
   * Takes an execution for this runner: a compare-and-set from requested/scheduled to running.
   * `skip` means: ack the message and do nothing (already final, canceled while queued, running
   * under a live runner, or found abandoned because its runner died).
   */
  claim(request: ClaimRequest): Promise<ClaimDecision>;
  /** Stores the final state; only the runner holding the execution may. */
  complete(request: CompleteRequest): Promise<void>;
  /** Puts a claimed execution back to `scheduled` (graceful shutdown before it could finish). */
  release(request: { executionId: string; runnerId: string }): Promise<void>;
  /**
   * Says this runner is alive; executions held by a runner that stops beating end `abandoned`.
   * Answers with the executions it holds that are `canceling`, so a cancel event lost in a broker
   * outage still stops them.
   */
  heartbeat(runner: RunnerInfo): Promise<{ cancel: string[] }>;
  /**
   * Fires a trigger on behalf of an execution this runner holds (core.inject_trigger). The
   * authority decides whether that execution may fire it; resolves to what was fired.
   */
  injectTrigger(request: InjectTriggerRequest): Promise<Record<string, unknown>>;
}

export interface InjectTriggerRequest extends TriggerInjection {
  executionId: string;
  runnerId: string;
}

export interface ClaimRequest {
  executionId: string;
  runnerId: string;
  /** The bus handed this message out before (its previous consumer died or failed). */
  redelivered: boolean;
  /** Mint the job a token for StackStorm's API (its pack is in PACKRUN_ACTION_API_PACKS). */
  apiToken?: boolean;
}

export type ClaimDecision =
  /** `parameters` are the execution's own, secret values in clear: only the claiming runner gets them. */
  | {
      decision: 'run';
      execution: Omit<ExecutionRecord, 'secretParameters'>;
      parameters: Record<string, unknown>;
      /** The job's token (ST2_ACTION_AUTH_TOKEN) when one was asked for; only the claiming runner gets it. */
      apiToken?: string;
    }
  | { decision: 'skip'; reason: string };

export interface CompleteRequest {
  executionId: string;
  runnerId: string;
  outcome?: ActionOutcome;
  /** Packrun's own failure (pack missing, runner crash) when there is no outcome. */
  error?: Failure;
}

export interface RunnerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Which process it runs in, so that a late heartbeat from a live process is told from a dead one. */
  processIdentity?: RunnerProcessIdentity;
  /** Executions it is running right now. */
  running: string[];
}
