import { nodeRuntime } from '@packrun/core';
import { actionJob, entryPointPath, envParameter } from './runner-inputs.ts';
import type { Runner } from './runner.ts';
import { timeoutSecondsOf } from './timeout.ts';
import { wrapperOutcome } from './wrapper-outcome.ts';

/**
 * node-script: Packrun's Node wrapper imports the entry point (ES module or CommonJS) and calls
 * its function (docs/node-actions.md). NODE_PATH points at the pack's own node_modules, which the
 * wrapper also uses for bare ES imports, so the pack's dependencies resolve from its env.
 */
export const nodeRunner: Runner = {
  async plan(input) {
    const nodeModules = input.pack.env.nodeModules;
    return {
      command: input.config.node,
      args: [nodeRuntime.actionWrapper],
      cwd: input.jobDir,
      env: { ...(nodeModules ? { NODE_PATH: nodeModules } : {}) },
      jobEnv: envParameter(input),
      pathPrefix: [],
      job: actionJob(input, entryPointPath(input), 'info'),
    };
  },
  outcome: (exit, report, input) => wrapperOutcome(exit, report, timeoutSecondsOf(input)),
};
