import { createSandboxDecorator, dataPaths, detectSandbox, type ActionOutcome, type PackrunConfig } from '@packrun/core';
import { LocalFileKeyValues, prepareAction, runAction } from '@packrun/action-runner';
import path from 'node:path';

export interface RunRequest {
  ref: string;
  parameters: Record<string, unknown>;
  executionId: string;
  signal: AbortSignal;
}

/**
 * The one place `packrun run` executes an action. Local mode: in this process, against the packs
 * installed in PACKRUN_HOME and the local datastore file, inside the sandbox layers this host
 * has (`packrun doctor`). Routing through the API when a server is
 * up replaces this function's body.
 */
export async function executeAction(config: PackrunConfig, request: RunRequest): Promise<ActionOutcome> {
  const paths = dataPaths(config.home);
  return runAction({
    paths,
    config,
    ref: request.ref,
    input: request.parameters,
    datastore: new LocalFileKeyValues(paths),
    executionId: request.executionId,
    signal: request.signal,
    decorator: createSandboxDecorator({ host: await detectSandbox(config), config }),
  });
}

/** The exact command line Packrun would start, and the job it would send, without starting it. */
export async function describeAction(config: PackrunConfig, request: Omit<RunRequest, 'signal'>): Promise<{ argv: string[]; cwd: string; env: Record<string, string>; job?: unknown }> {
  const paths = dataPaths(config.home);
  const prepared = await prepareAction(
    { paths, config, ref: request.ref, input: request.parameters, datastore: new LocalFileKeyValues(paths) },
    request.executionId,
    path.join(paths.jobs, request.executionId),
  );
  return { argv: [prepared.plan.command, ...prepared.plan.args], cwd: prepared.plan.cwd, env: prepared.plan.env, ...(prepared.plan.job ? { job: prepared.plan.job } : {}) };
}
