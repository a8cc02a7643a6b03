import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { dataPaths, loadConfig, PackrunError, unavailableActionError, type ActionOutcome } from '@packrun/core';
import { findAction } from '@packrun/action-runner';
import { CliExit, exitCodes } from '../exit.ts';
import { runParameters } from './cli-parameters.ts';
import { installBuiltinPacks } from './builtin-packs.ts';
import { describeAction, executeAction, recordedExecution, submitAction, type OnOutput } from './run-execution.ts';
import { printJson } from '../output/json.ts';

interface RunOptions {
  paramsJson?: string;
  timeout?: string;
  json?: boolean;
  printCommand?: boolean;
  async?: boolean;
}

function timeoutSeconds(raw: string): number {
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new PackrunError('CLI_PARAMETERS_INVALID', `--timeout must be a whole number of seconds, got "${raw}"`);
  }
  return seconds;
}

/**
 * The result after the run. Output already shown live is not repeated: only a note when it was
 * cut at the output cap. The result starts on a line of its own after output that did not end one.
 */
function printOutcome(ref: string, executionId: string, outcome: ActionOutcome, live: LiveOutput): void {
  const { stdout, stderr, ...rest } = outcome.result;
  if (live.stdoutOpenLine) process.stdout.write('\n');
  const lines = [
    `id: ${executionId}`,
    `action: ${ref}`,
    `status: ${outcome.status}${outcome.stopReason ? ` (${outcome.stopReason})` : ''}, ${(outcome.durationMs / 1000).toFixed(2)} s`,
    `result: ${JSON.stringify(rest, null, 2)}`,
  ];
  for (const [name, value] of [['stdout', stdout], ['stderr', stderr]] as const) {
    if (live.shown[name]) {
      if (outcome.truncated?.[name]) lines.push(`${name} was truncated at the output cap (shown above up to it)`);
      continue;
    }
    if (value === undefined || value === '') continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    const cut = outcome.truncated?.[name] ? ' (truncated at the output cap)' : '';
    lines.push(`${name}${cut}:`, text.replace(/\n$/, ''));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** What `packrun run` showed as the action wrote it: which streams, and whether stdout ended mid-line. */
interface LiveOutput {
  shown: Record<'stdout' | 'stderr', boolean>;
  stdoutOpenLine: boolean;
}

/** Writes the action's output to this process's stdout and stderr as it arrives, and keeps track of it. */
function liveOutput(): LiveOutput & { onOutput: OnOutput } {
  const live = {
    shown: { stdout: false, stderr: false },
    stdoutOpenLine: false,
    onOutput: (stream: 'stdout' | 'stderr', data: string | Uint8Array) => {
      if (data.length === 0) return;
      live.shown[stream] = true;
      (stream === 'stdout' ? process.stdout : process.stderr).write(data);
      if (stream === 'stdout') live.stdoutOpenLine = (typeof data === 'string' ? data.at(-1) : String.fromCharCode(data[data.length - 1]!)) !== '\n';
    },
  };
  return live;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run an action and wait for its result: packrun run <pack>.<action> name=value ...')
    .argument('<ref>', 'action ref, <pack>.<action>')
    .argument('[parameters...]', 'parameters as name=value, coerced by their declared types')
    .option('--params-json <json>', 'parameters as one JSON object (name=value words override it)')
    .option('--timeout <seconds>', "stop the action after this many seconds (overrides the action's timeout)")
    .option('--json', 'print the execution once it ends, as `execution get --json` does (no live output); with --async, the queued execution')
    .option('--print-command', 'print the command line and job Packrun would start, and stop there')
    .option('--async', 'queue it on the running server, print the execution id and return')
    .action(async (ref: string, words: string[], options: RunOptions) => {
      const config = loadConfig();
      await installBuiltinPacks(config);
      const { action } = await findAction(dataPaths(config.home), ref);
      if (action.unavailable) throw unavailableActionError(action.ref, action.unavailable);
      const parameters = runParameters(action, words, options.paramsJson);
      if (options.timeout !== undefined) parameters['timeout'] = timeoutSeconds(options.timeout);
      const executionId = randomUUID().replaceAll('-', '');

      if (options.printCommand) {
        const description = await describeAction(config, { ref, parameters, executionId });
        process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
        return;
      }

      if (options.async) {
        const queued = await submitAction(config, { ref, parameters, executionId });
        if (options.json) printJson(queued);
        else process.stdout.write(`${queued.id}\n`);
        return;
      }

      const controller = new AbortController();
      const cancel = (): void => controller.abort();
      process.once('SIGINT', cancel);
      process.once('SIGTERM', cancel);
      // Live output as st2 run shows it; --json keeps stdout one document (the output is in its result).
      const live = options.json ? undefined : liveOutput();
      let outcome: ActionOutcome;
      try {
        outcome = await executeAction(config, { ref, action, parameters, executionId, signal: controller.signal, ...(live ? { onOutput: live.onOutput } : {}) });
      } finally {
        process.off('SIGINT', cancel);
        process.off('SIGTERM', cancel);
      }
      if (!live) printJson(await recordedExecution(config, executionId));
      else printOutcome(ref, executionId, outcome, live);
      // An inquiry waiting for its response is where st2's CLI stops too: not a failure.
      if (outcome.status === 'pending') {
        if (!options.json) process.stdout.write(`waiting for a response: packrun inquiry respond ${executionId} -r '<JSON matching the schema>'\n`);
        return;
      }
      if (outcome.status !== 'succeeded') throw new CliExit(exitCodes.failed);
    });
}
