import path from 'node:path';
import { pythonRuntime } from '@packrun/core';
import { actionJob, entryPointPath, envParameter } from './runner-inputs.ts';
import type { Runner } from './runner.ts';
import { wrapperOutcome } from './wrapper-outcome.ts';
import { timeoutSecondsOf } from './timeout.ts';

/**
 * python-script: the pack's own venv interpreter runs the Python wrapper in isolated mode (-I), so
 * the runtime's environment and the wrapper's folder never shadow the pack's pinned modules.
 * The venv's bin goes first on PATH, as StackStorm does, for actions that call its tools.
 */
export const pythonRunner: Runner = {
  async plan(input) {
    // A pack without requirements.txt has no venv; the configured interpreter runs it then.
    const venvPython = input.pack.env.python;
    const entryPoint = entryPointPath(input);
    return {
      command: venvPython ?? input.config.python,
      args: ['-I', pythonRuntime.actionWrapper],
      cwd: input.jobDir,
      env: {},
      jobEnv: envParameter(input),
      pathPrefix: venvPython ? [path.dirname(venvPython)] : [],
      job: actionJob(input, entryPoint, String(input.runnerParameters['log_level'] ?? 'DEBUG').toLowerCase()),
    };
  },
  outcome: (exit, report, input) => wrapperOutcome(exit, report, timeoutSecondsOf(input)),
};
