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
    const python = input.pack.env.kind === 'python' && input.pack.env.python ? input.pack.env.python : input.config.python;
    const entryPoint = entryPointPath(input);
    return {
      command: python,
      args: ['-I', pythonRuntime.actionWrapper],
      cwd: input.jobDir,
      env: envParameter(input),
      pathPrefix: input.pack.env.kind === 'python' && input.pack.env.python ? [path.dirname(input.pack.env.python)] : [],
      job: actionJob(input, entryPoint, String(input.runnerParameters['log_level'] ?? 'DEBUG').toLowerCase()),
    };
  },
  outcome: (exit, report, input) => wrapperOutcome(exit, report, timeoutSecondsOf(input)),
};
