import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { dataPaths, loadConfig, PackrunError, unavailableActionError, type ActionOutcome } from '@packrun/core';
import { findAction } from '@packrun/action-runner';
import { CliExit, exitCodes } from '../exit.ts';
import { runParameters } from './cli-parameters.ts';
import { installBuiltinPacks } from './builtin-packs.ts';
import { describeAction, executeAction, recordedExecution, submitAction } from './run-execution.ts';
import { printJson } from '../output/json.ts';
import { OutputEcho } from '../output/output-echo.ts';

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
function printOutcome(ref: string, executionId: string, outcome: ActionOutcome, live: OutputEcho): void {
  const { stdout, stderr, ...rest } = outcome.result;
  live.endOpenLine('stdout');
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
      const live = options.json ? undefined : new OutputEcho();
      let outcome: ActionOutcome;
      try {
        outcome = await executeAction(config, { ref, action, parameters, executionId, signal: controller.signal, ...(live ? { onOutput: (stream, data) => live.write(stream, data) } : {}) });
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
