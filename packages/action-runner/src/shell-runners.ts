import { open } from 'node:fs/promises';
import { PackrunError } from '@packrun/core';
import { entryPointPath, envParameter } from './runner-inputs.ts';
import type { Runner, RunnerInput } from './runner.ts';
import { shellArguments } from './shell-arguments.ts';
import { shellOutcome } from './shell-outcome.ts';
import { timeoutSecondsOf } from './timeout.ts';

/** Packrun runs actions unprivileged: an action asking for sudo is refused rather than run without it. */
function refuseSudo(input: RunnerInput): void {
  if (input.runnerParameters['sudo'] === true) {
    throw new PackrunError('ACTION_SUDO_UNSUPPORTED', `action ${input.action.ref} asks for sudo, which Packrun does not grant`, {
      hint: 'run the action without sudo: true; Packrun never runs pack code as root through sudo',
      details: { action: input.action.ref, parameter: 'sudo' },
    });
  }
}

function cwdOf(input: RunnerInput): string {
  const cwd = input.runnerParameters['cwd'];
  return typeof cwd === 'string' && cwd !== '' ? cwd : input.jobDir;
}

/** local-shell-cmd: the `cmd` parameter, run by /bin/sh -c. */
export const shellCommandRunner: Runner = {
  async plan(input) {
    refuseSudo(input);
    const cmd = input.runnerParameters['cmd'];
    if (typeof cmd !== 'string' || cmd.trim() === '') {
      throw new PackrunError('ACTION_CMD_MISSING', `action ${input.action.ref} needs the parameter "cmd"`, {
        hint: 'give the command to run, e.g. cmd="uname -a"',
        details: { action: input.action.ref, parameter: 'cmd' },
      });
    }
    return { command: '/bin/sh', args: ['-c', cmd], cwd: cwdOf(input), env: {}, jobEnv: envParameter(input), pathPrefix: [] };
  },
  outcome: (exit, _report, input) => shellOutcome(exit, timeoutSecondsOf(input)),
};

/**
 * The interpreter line of a script, split as the kernel does (interpreter plus at most one
 * argument). Running through it gives the same argv as executing the file, without needing the
 * execute bit on a read-only pack; a script without one runs with /bin/sh.
 */
async function interpreterOf(script: string): Promise<string[]> {
  const file = await open(script, 'r');
  try {
    const buffer = Buffer.alloc(256);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    if (!head.startsWith('#!')) return ['/bin/sh'];
    const line = head.slice(2).split('\n')[0]!.trim();
    const space = line.search(/[ \t]/);
    return space === -1 ? [line] : [line.slice(0, space), line.slice(space).trim()];
  } finally {
    await file.close();
  }
}

/** local-shell-script: the entry point with StackStorm's named-then-positional arguments. */
export const shellScriptRunner: Runner = {
  async plan(input) {
    refuseSudo(input);
    const script = entryPointPath(input);
    const [command, ...interpreterArgs] = await interpreterOf(script);
    const kwargOp = typeof input.runnerParameters['kwarg_op'] === 'string' ? input.runnerParameters['kwarg_op'] : '--';
    return {
      command: command!,
      args: [...interpreterArgs, script, ...shellArguments(input.parameters, input.parameterSpecs, kwargOp)],
      cwd: cwdOf(input),
      env: {},
      jobEnv: envParameter(input),
      pathPrefix: [],
    };
  },
  outcome: (exit, _report, input) => shellOutcome(exit, timeoutSecondsOf(input)),
};
