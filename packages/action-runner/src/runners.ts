import { PackrunError, isWorkflowRunner, unavailableActionError, type ActionMeta } from '@packrun/core';
import { announcementRunner } from './announcement-runner.ts';
import { httpRequestRunner } from './http/http-request-runner.ts';
import { injectTriggerRunner } from './inject-trigger-runner.ts';
import { inquirerRunner } from './inquirer-runner.ts';
import { nodeRunner } from './node-runner.ts';
import { noopRunner } from './noop-runner.ts';
import { pythonRunner } from './python-runner.ts';
import type { AnyRunner } from './runner.ts';
import { shellCommandRunner, shellScriptRunner } from './shell-runners.ts';
import { remoteCommandRunner, remoteScriptRunner } from './ssh/remote-shell-runner.ts';

/** Keyed by the canonical runner name the pack loader gives an action (runner-parameters.ts). */
const runners: Record<string, AnyRunner> = {
  'python-script': pythonRunner,
  'node-script': nodeRunner,
  'local-shell-cmd': shellCommandRunner,
  'local-shell-script': shellScriptRunner,
  'remote-shell-cmd': remoteCommandRunner,
  'remote-shell-script': remoteScriptRunner,
  'http-request': httpRequestRunner,
  noop: noopRunner,
  inquirer: inquirerRunner,
  announcement: announcementRunner,
  'inject-trigger': injectTriggerRunner,
};

export function runnerFor(action: ActionMeta): AnyRunner {
  if (action.unavailable) throw unavailableActionError(action.ref, action.unavailable);
  if (isWorkflowRunner(action.runnerType)) {
    throw new PackrunError('WORKFLOW_NEEDS_ENGINE', `action ${action.ref} is a ${action.runnerType} workflow: the workflow engine runs it, not an action runner`, {
      hint: 'run it through `packrun up` (or the API with `packrun workflow-engine` beside it): `packrun execution run` / POST /api/v1/executions',
      details: { action: action.ref, runner: action.runnerType },
    });
  }
  const runner = runners[action.runnerType];
  if (!runner) {
    // The loader marks an action whose runner is missing as unavailable; reaching this is a runner
    // declared in core's metadata but never implemented here.
    throw new PackrunError('ACTION_RUNNER_MISSING', `action ${action.ref} uses runner "${action.runnerType}", which this action runner does not have`, {
      details: { action: action.ref, runner: action.runnerType, field: 'runner_type' },
      userError: false,
    });
  }
  return runner;
}
