import { createSandboxDecorator, dataPaths, detectSandbox, type ActionOutcome, type PackrunConfig, type ParameterOrigin } from '@packrun/core';
import { describePlan, LocalFileKeyValues, prepareAction, runAction, type PlanDescription } from '@packrun/action-runner';
import path from 'node:path';
import { connectApi, requireApi } from '../api-client/connect.ts';
import { runThroughApi, submitThroughApi } from '../api-client/run-through-api.ts';

export interface RunRequest {
  ref: string;
  parameters: Record<string, unknown>;
  executionId: string;
  signal: AbortSignal;
}

/**
 * In local mode the caller is whoever can read PACKRUN_HOME, datastore key included: the operator,
 * whose templates may decrypt what `packrun key get --decrypt` would show them anyway.
 */
const localOperator: ParameterOrigin = { from: 'caller', mayDecrypt: { system: true, user: true } };

/**
 * The one place `packrun run` executes an action. Local mode: in this process, against the packs
 * installed in PACKRUN_HOME and the local datastore file, inside the sandbox layers this host
 * has (`packrun doctor`). When a server answers at PACKRUN_API_URL, it runs there instead.
 */
export async function executeAction(config: PackrunConfig, request: RunRequest): Promise<ActionOutcome> {
  const client = await connectApi(config);
  if (client) return runThroughApi(client, request);
  const paths = dataPaths(config.home);
  return runAction({
    paths,
    // One execution in a process that then exits: a zygote would cost its start-up and never be
    // forked from again, so the action starts cold.
    config: { ...config, warmSpawn: false },
    ref: request.ref,
    input: request.parameters,
    parameterOrigin: localOperator,
    datastore: new LocalFileKeyValues(paths),
    executionId: request.executionId,
    signal: request.signal,
    // Nor would network namespaces made ahead for the next job serve anything.
    decorator: createSandboxDecorator({ host: await detectSandbox(config), config: { ...config, sandboxNetnsSpares: 0 } }),
  });
}

/** `packrun run --async`: queues the execution on the server and returns its id; needs a server. */
export async function submitAction(config: PackrunConfig, request: Omit<RunRequest, 'signal'>): Promise<string> {
  return (await submitThroughApi(await requireApi(config), request)).id;
}

/** The exact command line Packrun would start, and the job it would send (secrets masked), without starting it. */
export async function describeAction(config: PackrunConfig, request: Omit<RunRequest, 'signal'>): Promise<PlanDescription> {
  const paths = dataPaths(config.home);
  const prepared = await prepareAction(
    { paths, config, ref: request.ref, input: request.parameters, parameterOrigin: localOperator, datastore: new LocalFileKeyValues(paths) },
    request.executionId,
    path.join(paths.jobs, request.executionId),
  );
  return describePlan(prepared);
}
