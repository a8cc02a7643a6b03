import path from 'node:path';
import { PackrunError, jobEnvironment, type ActionJob } from '@packrun/core';
import type { RunnerInput } from './runner.ts';

/** The absolute entry point; the pack loader has already refused ones that leave the pack. */
export function entryPointPath(input: RunnerInput): string {
  const entryPoint = input.action.entryPoint;
  if (!entryPoint) {
    throw new PackrunError('ACTION_NO_ENTRY_POINT', `action ${input.action.ref} (${input.action.file}) has no entry_point`, {
      hint: `the ${input.action.runnerType} runner needs entry_point, relative to the pack's actions/ folder`,
      details: { action: input.action.ref, file: input.action.file },
    });
  }
  return path.join(input.pack.dir, 'actions', entryPoint);
}

/** The `env` runner parameter: variables the action asks for, as strings, refused ones rejected (jobEnvironment). */
export function envParameter(input: RunnerInput): Record<string, string> {
  return jobEnvironment(input.runnerParameters['env'], { action: input.action.ref, parameter: 'env' });
}

export function actionJob(input: RunnerInput, entryPoint: string, logLevel: string): ActionJob {
  return {
    kind: 'action',
    execution_id: input.executionId,
    pack: input.pack.ref,
    action: input.action.name,
    entry_point: entryPoint,
    pack_dir: input.pack.dir,
    parameters: input.parameters,
    config: input.packConfig,
    log_level: logLevel,
    result_limits: { max_bytes: input.config.resultMaxBytes, max_depth: input.config.jsonMaxDepth },
  };
}
