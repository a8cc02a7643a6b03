import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isWorkflowRunner, type ActionMeta, type LoadedPack } from '@packrun/core';
import { WorkflowInspectionError, type WorkflowProblem } from './driver.ts';
import { findWorkflowDriver } from './drivers.ts';

function where(problem: WorkflowProblem): string {
  return [problem.file, problem.line === undefined ? undefined : `line ${problem.line}`, problem.task === undefined ? undefined : `task "${problem.task}"`]
    .filter((part) => part !== undefined)
    .join(', ');
}

/**
 * Checks every workflow action of a loaded pack with its driver before anything runs. A workflow
 * its driver refuses stays registered, marked unavailable with WORKFLOW_INVALID and each problem's
 * file, task and line, and the rest of the pack installs; running it is refused with them. A
 * workflow whose runner has no driver yet is registered unavailable with WORKFLOW_DRIVER_MISSING
 * (checked again at every start, so it runs once the driver is there).
 */
export async function checkWorkflowActions(pack: LoadedPack, packDir: string): Promise<LoadedPack> {
  const actions: ActionMeta[] = [];
  for (const action of pack.actions) {
    actions.push(await checkWorkflowAction(action, packDir));
  }
  return { ...pack, actions };
}

async function checkWorkflowAction(action: ActionMeta, packDir: string): Promise<ActionMeta> {
  if (action.unavailable || !isWorkflowRunner(action.runnerType) || action.entryPoint === undefined) return action;
  const driver = findWorkflowDriver(action.runnerType);
  if (!driver) {
    const message = `${action.file}: ${action.runnerType} workflows have no driver in this Packrun yet; the action runs once it is there`;
    return { ...action, unavailable: { code: 'WORKFLOW_DRIVER_MISSING', runner: action.runnerType, field: 'runner_type', message } };
  }
  const file = path.posix.join('actions', action.entryPoint);
  let problems: WorkflowProblem[];
  try {
    const text = await readFile(path.join(packDir, file), 'utf8');
    driver.inspect({ pack: action.pack, file, text });
    return action;
  } catch (error) {
    if (error instanceof WorkflowInspectionError) problems = error.problems;
    else problems = [{ code: 'WORKFLOW_INVALID', message: `cannot be read: ${error instanceof Error ? error.message : String(error)}`, file }];
  }
  const message = problems.map((problem) => `${where(problem)}: ${problem.message}`).join('; ');
  return {
    ...action,
    unavailable: { code: 'WORKFLOW_INVALID', runner: action.runnerType, field: 'entry_point', message, problems: problems.map((problem) => ({ ...problem })) },
  };
}
