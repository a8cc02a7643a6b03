import {
  buildChildEnv,
  resultFrameBounds,
  MessageType,
  serveDatastoreRequest,
  type ActionApiAccess,
  type ActionOutcome,
  type ChildMessage,
  type KeyValues,
  type Logger,
  type ParentMessage,
  type SpawnDecorator,
} from '@packrun/core';
import type { Runner, RunnerInput, RunnerPlan, WrapperReport } from './runner.ts';
import { timeoutSecondsOf } from './timeout.ts';
import { launchAction } from './warm/launch-action.ts';

export interface ExecuteOptions {
  keyValues: KeyValues;
  /** Owner of user-scoped datastore keys. */
  user?: string;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  decorator?: SpawnDecorator;
  logger?: Logger;
  /** StackStorm's API for the job (PACKRUN_ACTION_API_PACKS): its variables, and the host ports of the way out. */
  actionApi?: ActionApiAccess;
}

/** Starts a planned action, answers its control channel and turns how it ended into an outcome. */
export async function executePlan(runner: Runner, plan: RunnerPlan, input: RunnerInput, options: ExecuteOptions): Promise<ActionOutcome> {
  const report: WrapperReport = {};
  const onMessage = (message: ChildMessage, reply: (message: ParentMessage) => void): void => {
    switch (message.type) {
      case MessageType.result:
        if (report.result || report.error) report.violation ??= 'more than one result';
        else report.result = { result: message.result, success: message.success };
        return;
      case MessageType.error:
        if (report.result || report.error) report.violation ??= 'a result and an error';
        else report.error = message.error;
        return;
      case MessageType.datastore:
        void serveDatastoreRequest(options.keyValues, message, {
          access: { pack: input.pack.ref, mayWriteSystem: input.config.datastoreSystemWriters.includes(input.pack.ref) },
          ...(options.user ? { user: options.user } : {}),
        }).then((answer) => {
          try {
            reply(answer);
          } catch (error) {
            // A value too large for one frame goes back as an error the action can handle.
            reply({ type: MessageType.datastoreReply, id: message.id, ok: false, error: { type: 'FrameError', message: (error as Error).message } });
          }
        });
        return;
      default:
        report.violation ??= `an action may not send "${message.type}" frames`;
    }
  };

  const exit = await launchAction({
    command: plan.command,
    args: plan.args,
    cwd: plan.cwd,
    env: buildChildEnv({
      jobDir: input.jobDir,
      pack: input.pack.ref,
      executionId: input.executionId,
      pathPrefix: plan.pathPrefix,
      extra: { ...plan.env, ...options.actionApi?.variables },
    }),
    jobEnv: plan.jobEnv,
    context: {
      kind: 'action',
      pack: input.pack.ref,
      action: input.action.name,
      packDir: input.pack.dir,
      ...(input.pack.env.path ? { envDir: input.pack.env.path } : {}),
      jobDir: input.jobDir,
      executionId: input.executionId,
      ...(options.actionApi?.hostPorts.length ? { hostPorts: options.actionApi.hostPorts } : {}),
      limits: { ...input.sandboxLimits, timeoutSeconds: timeoutSecondsOf(input) },
    },
    timeoutMs: timeoutSecondsOf(input) * 1000,
    killGraceMs: input.config.killGraceSeconds * 1000,
    outputCapBytes: input.config.outputCapBytes,
    outputLimitBytes: input.config.outputLimitBytes,
    controlChannel: plan.job !== undefined,
    frameBounds: resultFrameBounds(input.config),
    ...(plan.job ? { initialMessages: [{ type: MessageType.job, job: plan.job }] } : {}),
    onMessage,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.decorator ? { decorator: options.decorator } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  }, { config: input.config, pack: input.pack, preload: input.preloadImports, ...(options.logger ? { logger: options.logger } : {}) });
  return { ...runner.outcome(exit, report, input), durationMs: exit.durationMs };
}
