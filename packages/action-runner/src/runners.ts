import { canonicalRunnerType, PackrunError, type ActionMeta } from '@packrun/core';
import { nodeRunner } from './node-runner.ts';
import { pythonRunner } from './python-runner.ts';
import type { Runner } from './runner.ts';
import { shellCommandRunner, shellScriptRunner } from './shell-runners.ts';

const runners: Record<string, Runner> = {
  'python-script': pythonRunner,
  'node-script': nodeRunner,
  'local-shell-cmd': shellCommandRunner,
  'local-shell-script': shellScriptRunner,
};

export function runnerFor(action: ActionMeta): Runner {
  const runner = runners[canonicalRunnerType(action.runnerType) ?? ''];
  if (!runner) {
    throw new PackrunError('RUNNER_UNSUPPORTED', `action ${action.ref} uses runner "${action.runnerType}", which Packrun does not have`, {
      hint: `supported runners: ${Object.keys(runners).join(', ')}`,
      details: { action: action.ref, file: action.file, field: 'runner_type' },
    });
  }
  return runner;
}
