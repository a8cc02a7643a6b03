import type { Command } from 'commander';
import { executionStatuses, isSettled, loadConfig, type St2Execution } from '@packrun/core';
import type { ApiClient } from '../api-client/api-client.ts';
import { requireApi } from '../api-client/connect.ts';
import { waitForExecution } from '../api-client/wait-for-execution.ts';
import { CliExit, exitCodes } from '../exit.ts';
import { executionTree } from './execution-tree.ts';
import { chooseDataPath } from '../local-store/data-path.ts';
import { descendantsFromStore, getFromStore, listFromStore, printStoredOutput } from '../local-store/local-executions.ts';
import type { LocalStore } from '../local-store/local-store.ts';
import { registerExecutionPurge } from './execution-purge.ts';
import { printJson, printJsonLine } from '../output/json.ts';
import { OutputEcho } from '../output/output-echo.ts';
import { printList, statusCell, type Cell } from '../output/table.ts';

/** One execution as a row of `execution list`. */
function summaryRow(record: St2Execution): Array<string | Cell> {
  return [record.id, record.action.ref, statusCell(record.status), record.start_timestamp, record.elapsed_seconds !== undefined ? `${record.elapsed_seconds.toFixed(2)}s` : ''];
}

/** The execution this one re-runs (st2's context `re-run.ref`). */
function rerunOf(record: St2Execution): string | undefined {
  const rerun = record.context['re-run'];
  return typeof rerun === 'object' && rerun !== null && typeof (rerun as { ref?: unknown }).ref === 'string' ? (rerun as { ref: string }).ref : undefined;
}

function printRecord(record: St2Execution, json: boolean, descendants: St2Execution[]): void {
  if (json) return printJson(descendants.length > 0 ? { ...record, descendants } : record);
  const lines = [
    `id: ${record.id}`,
    `action: ${record.action.ref}`,
    `status: ${record.status}${record.stop_reason ? ` (${record.stop_reason})` : ''}${policyReason(record)}`,
    `parameters: ${JSON.stringify(record.parameters)}`,
    `requested: ${record.start_timestamp}`,
  ];
  if (record.end_timestamp) lines.push(`ended: ${record.end_timestamp}`);
  const original = rerunOf(record);
  if (original) lines.push(`re-run of: ${original}`);
  if (record.parent) lines.push(`parent: ${record.parent}`);
  if (record.error) lines.push(`error: [${record.error.type}] ${record.error.message}`);
  if (descendants.length > 0) lines.push('tasks:', ...executionTree(record, descendants).map((line) => `  ${line}`));
  if (record.result) lines.push(`result: ${JSON.stringify(record.result, null, 2)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Does `viaApi` through the server of PACKRUN_HOME when it runs, else `inStore` on the store it
 * uses (chooseDataPath), closing the store after.
 */
async function onDataPath<T>(viaApi: (client: ApiClient) => Promise<T>, inStore: (local: LocalStore) => Promise<T>): Promise<T> {
  const path = await chooseDataPath(loadConfig());
  if (path.kind === 'api') return viaApi(path.client);
  try {
    return await inStore(path.local);
  } finally {
    await path.local.close();
  }
}

/**
 * Prints the output live and returns the final record. With --json, each chunk is a line of its
 * own on stdout: st2's output event (`execution_id`, `output_type`, `data`), as the API streams it.
 */
async function follow(client: ApiClient, id: string, json: boolean): Promise<St2Execution> {
  const echo = new OutputEcho();
  const final = await waitForExecution(client, id, {
    onOutput: (chunk) => {
      if (json) printJsonLine({ execution_id: chunk.executionId, output_type: chunk.stream, data: chunk.data });
      else echo.write(chunk.stream, chunk.data);
    },
  });
  echo.endOpenLine('stderr');
  return final;
}

/** After a follow: the final execution (the last --json line), or its status on stderr; exit code 1 unless it succeeded. */
function settled(final: St2Execution, json: boolean, note = ''): void {
  if (json) printJsonLine(final);
  else process.stderr.write(`${final.id}: ${final.status}${note}\n`);
  if (final.status !== 'succeeded') throw new CliExit(exitCodes.failed);
}

/** An execution after an action on it (cancel, pause, resume): st2's execution with --json, else its status. */
function printActedOn(record: St2Execution, json: boolean): void {
  if (json) printJson(record);
  else process.stdout.write(`${record.id}: ${record.status}\n`);
}

export function register(program: Command): void {
  const command = program.command('execution').description('Executions: through the server of PACKRUN_HOME when it runs, else in the store it uses (cancel and rerun need the server)');

  command
    .command('get')
    .description('One execution: its status, parameters and result')
    .argument('<id>', 'the execution id')
    .option('--json', 'print the execution as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const { record, descendants } = await onDataPath(
        async (client) => {
          const found = await client.withWholeResult(await client.getExecution(id));
          return { record: found, descendants: (found.children?.length ?? 0) > 0 ? await client.executionChildren(id) : [] };
        },
        async (local) => ({ record: await getFromStore(local, id), descendants: await descendantsFromStore(local, id) }),
      );
      printRecord(record, options.json === true, descendants);
    });

  command
    .command('list')
    .description('Executions, newest first')
    .option('--action <ref>', 'only this action')
    .option('--status <status>', `only this status (${executionStatuses.join(', ')})`)
    .option('--since <time>', 'requested after (ISO-8601; st2\'s timestamp_gt)')
    .option('--until <time>', 'requested before (ISO-8601; st2\'s timestamp_lt)')
    .option('--parent <id>', 'only the tasks this workflow execution started')
    .option('--limit <n>', 'how many', '20')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'print JSON')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const query = {
        action: options['action'] as string | undefined,
        status: options['status'] as string | undefined,
        timestamp_gt: options['since'] as string | undefined,
        timestamp_lt: options['until'] as string | undefined,
        parent: options['parent'] as string | undefined,
        limit: options['limit'] as string,
        offset: options['offset'] as string,
      };
      const { items, total } = await onDataPath(
        (client) => client.listExecutions(query),
        (local) => listFromStore(local, query),
      );
      if (options['json']) return printJson({ total, items });
      printList(['id', 'action', 'status', 'requested', 'took'], items.map(summaryRow), total === 0 ? 'no executions' : `no executions on this page (offset ${String(options['offset'])}, ${total} in all)`);
      if (items.length > 0) process.stderr.write(`${items.length} of ${total}\n`);
    });

  command
    .command('tail')
    .description('Follow an execution: its output as it comes, then its final status')
    .argument('<id>', 'the execution id')
    .option('--json', 'print JSON lines: an st2 output event per chunk of output, then the execution')
    .action(async (id: string, options: { json?: boolean }) => {
      const json = options.json === true;
      const final = await onDataPath(
        (client) => follow(client, id, json),
        (local) => printStoredOutput(local, id, json ? (chunk) => printJsonLine({ execution_id: id, output_type: chunk.stream, data: chunk.data }) : undefined),
      );
      settled(final, json, isSettled(final.status) ? '' : ' (no server runs on PACKRUN_HOME to advance it: start one with `packrun up`)');
    });

  command
    .command('cancel')
    .description('Cancel a running execution (its process is stopped)')
    .argument('<id>', 'the execution id')
    .option('--json', 'print the execution as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      printActedOn(await (await requireApi(loadConfig())).cancelExecution(id), options.json === true);
    });

  for (const [verb, status] of [['pause', 'pausing'], ['resume', 'resuming']] as const) {
    command
      .command(verb)
      .description(`${verb === 'pause' ? 'Pause a running workflow (its child workflows pause too)' : 'Resume a paused workflow'}`)
      .argument('<id>', 'the workflow execution id')
      .option('--json', 'print the execution as JSON')
      .action(async (id: string, options: { json?: boolean }) => {
        printActedOn(await (await requireApi(loadConfig())).setExecutionStatus(id, status), options.json === true);
      });
  }

  command
    .command('rerun')
    .description('Run an execution again with the same parameters; name=value words override them')
    .argument('<id>', 'the execution to run again')
    .argument('[parameters...]', 'overrides as name=value (values parsed as JSON when they are JSON)')
    .option('--async', 'print the new id and return at once')
    .option('--tasks <names>', 'an Orquesta workflow: run again from these tasks (comma-separated), keeping what the others did')
    .option('--json', 'print JSON: the new execution with --async, else JSON lines as `execution tail --json`')
    .action(async (id: string, words: string[], options: { async?: boolean; tasks?: string; json?: boolean }) => {
      const overrides: Record<string, unknown> = {};
      for (const word of words) {
        const eq = word.indexOf('=');
        if (eq <= 0) continue;
        const raw = word.slice(eq + 1);
        try {
          overrides[word.slice(0, eq)] = JSON.parse(raw);
        } catch {
          overrides[word.slice(0, eq)] = raw;
        }
      }
      const client = await requireApi(loadConfig());
      const tasks = options.tasks === undefined ? [] : options.tasks.split(',').map((task) => task.trim()).filter((task) => task !== '');
      const record = await client.rerunExecution(id, overrides, tasks);
      const json = options.json === true;
      if (options.async || isSettled(record.status)) {
        if (json) printJson(record);
        else process.stdout.write(`${record.id}\n`);
        return;
      }
      settled(await follow(client, record.id, json), json);
    });

  registerExecutionPurge(command);
}

/** Why a policy holds an execution back (delayed) or ended it (canceled by a concurrency policy), from its status log. */
function policyReason(record: St2Execution): string {
  const last = record.log.at(-1);
  return last?.by === 'policy' && last.reason !== undefined && last.status === record.status ? ` (${last.reason})` : '';
}
