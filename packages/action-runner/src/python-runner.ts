import path from 'node:path';
import { pythonRuntime } from '@packrun/core';
import { actionJob, entryPointPath, envParameter } from './runner-inputs.ts';
import type { Runner, RunnerInput } from './runner.ts';
import { wrapperOutcome } from './wrapper-outcome.ts';
import { timeoutSecondsOf } from './timeout.ts';

/**
 * The action's parameters with each one it declares but nobody set as None: StackStorm's parameter
 * resolution gives every declared parameter a value (its default, else None), and its Python runner
 * passes them all to run() as keywords, so pack code declares them without defaults
 * (jinja.render_file's include_execution).
 */
function everyActionParameter(input: RunnerInput): Record<string, unknown> {
  const unset = Object.entries(input.action.parameters).filter(([name, spec]) => !spec.runnerParameter && !(name in input.parameters));
  return { ...Object.fromEntries(unset.map(([name]) => [name, null])), ...input.parameters };
}

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
      job: { ...actionJob(input, entryPoint, String(input.runnerParameters['log_level'] ?? 'DEBUG').toLowerCase()), parameters: everyActionParameter(input) },
    };
  },
  outcome: (exit, report, input) => wrapperOutcome(exit, report, timeoutSecondsOf(input)),
};
