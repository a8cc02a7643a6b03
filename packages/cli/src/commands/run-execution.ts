import { createLogger, createSandboxDecorator, dataPaths, detectSandbox, type ActionMeta, type ActionOutcome, type PackrunConfig, type ParameterOrigin, type St2Execution } from '@packrun/core';
import { describePlan, prepareAction, type PlanDescription } from '@packrun/action-runner';
import path from 'node:path';
import { apiKeyValues } from '../api-client/api-key-values.ts';
import { requireApi } from '../api-client/connect.ts';
import { runThroughApi, submitThroughApi } from '../api-client/run-through-api.ts';
import { chooseDataPath, type DataPath } from '../local-store/data-path.ts';
import { getFromStore, runInStore } from '../local-store/local-executions.ts';

/** The action's output as it is written: `packrun run` shows it live, as `st2 run` does. */
export type OnOutput = (stream: 'stdout' | 'stderr', data: string | Uint8Array) => void;

export interface RunRequest {
  ref: string;
  parameters: Record<string, unknown>;
  executionId: string;
  signal: AbortSignal;
  onOutput?: OnOutput;
}

/**
 * Without a server the caller is whoever can read PACKRUN_HOME, datastore key included: the
 * operator, whose templates may decrypt what `packrun key get --decrypt` would show them anyway.
 */
const localOperator: ParameterOrigin = { from: 'caller', mayDecrypt: { system: true, user: true } };

/**
 * The one place `packrun run` executes an action: on the server of PACKRUN_HOME when it runs;
 * else in this process, against the packs installed in PACKRUN_HOME and the store that server
 * uses (recorded there, so `packrun up` shows it after), inside the sandbox layers this host has.
 */
export async function executeAction(config: PackrunConfig, request: RunRequest & { action: ActionMeta }): Promise<ActionOutcome> {
  const chosen = await chooseDataPath(config);
  if (chosen.kind === 'api') return runThroughApi(chosen.client, request);
  try {
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'packrun-cli' });
    return await runInStore(
      config,
      chosen.local,
      {
        action: request.action,
        parameters: request.parameters,
        executionId: request.executionId,
        signal: request.signal,
        parameterOrigin: localOperator,
        // Network namespaces made ahead for the next job would serve nothing in a process that runs one.
        decorator: createSandboxDecorator({ host: await detectSandbox(config), config: { ...config, sandboxNetnsSpares: 0 } }),
        ...(request.onOutput ? { onOutput: request.onOutput } : {}),
      },
      logger,
    );
  } finally {
    await chosen.local.close();
  }
}

/**
 * The execution `packrun run` made, as the API and `packrun execution get --json` show it (one
 * shape per resource): read from the server it ran on, or from the store it was recorded in.
 */
export async function recordedExecution(config: PackrunConfig, executionId: string): Promise<St2Execution> {
  const chosen = await chooseDataPath(config);
  if (chosen.kind === 'api') return chosen.client.withWholeResult(await chosen.client.getExecution(executionId));
  try {
    return await getFromStore(chosen.local, executionId);
  } finally {
    await chosen.local.close();
  }
}

/** `packrun run --async`: queues the execution on the server and returns it as the API does; needs a server. */
export async function submitAction(config: PackrunConfig, request: Omit<RunRequest, 'signal'>): Promise<St2Execution> {
  return submitThroughApi(await requireApi(config), request);
}

/**
 * The exact command line Packrun would start, and the job it would send (secrets masked), without
 * starting it; datastore templates read the datastore on the one data path.
 */
export async function describeAction(config: PackrunConfig, request: Omit<RunRequest, 'signal'>): Promise<PlanDescription> {
  const paths = dataPaths(config.home);
  const chosen: DataPath = await chooseDataPath(config);
  try {
    const datastore = chosen.kind === 'api' ? apiKeyValues(chosen.client) : chosen.local.keyValues;
    const prepared = await prepareAction(
      { paths, config, ref: request.ref, input: request.parameters, parameterOrigin: localOperator, datastore },
      request.executionId,
      path.join(paths.jobs, request.executionId),
    );
    return describePlan(prepared);
  } finally {
    if (chosen.kind === 'store') await chosen.local.close();
  }
}
