import type { Command } from 'commander';
import { executionStatuses, isSettled, loadConfig, type ExecutionRecord } from '@packrun/core';
import type { ApiClient } from '../api-client/api-client.ts';
import { requireApi } from '../api-client/connect.ts';
import { waitForExecution } from '../api-client/wait-for-execution.ts';
import { CliExit, exitCodes } from '../exit.ts';
import { executionTree } from './execution-tree.ts';
import { chooseDataPath } from '../local-store/data-path.ts';
import { descendantsFromStore, getFromStore, listFromStore, printStoredOutput } from '../local-store/local-executions.ts';
import type { LocalStore } from '../local-store/local-store.ts';
import { registerExecutionPurge } from './execution-purge.ts';

function summaryLine(record: ExecutionRecord): string {
  const took = record.durationMs !== undefined ? ` ${(record.durationMs / 1000).toFixed(2)}s` : '';
  return `${record.id}  ${record.action.padEnd(28)} ${record.status.padEnd(10)} ${record.createdAt}${took}`;
}

function printRecord(record: ExecutionRecord, json: boolean, descendants: ExecutionRecord[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(descendants.length > 0 ? { ...record, descendants } : record, null, 2)}\n`);
    return;
  }
  const lines = [
    `id: ${record.id}`,
    `action: ${record.action}`,
    `status: ${record.status}${record.stopReason ? ` (${record.stopReason})` : ''}${policyReason(record)}`,
    `parameters: ${JSON.stringify(record.parameters)}`,
    `created: ${record.createdAt}`,
  ];
  if (record.endedAt) lines.push(`ended: ${record.endedAt}`);
  if (record.rerunOf) lines.push(`re-run of: ${record.rerunOf}`);
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

/** Prints the output live and returns the final record; exit code 1 unless it succeeded. */
async function follow(client: ApiClient, id: string): Promise<ExecutionRecord> {
  const final = await waitForExecution(client, id, {
    onOutput: (chunk) => (chunk.stream === 'stdout' ? process.stdout : process.stderr).write(chunk.data),
  });
  return final;
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
    .option('--since <time>', 'created at or after (ISO-8601)')
    .option('--until <time>', 'created before (ISO-8601)')
    .option('--parent <id>', 'only the tasks this workflow execution started')
    .option('--limit <n>', 'how many', '20')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'print JSON')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const query = {
        action: options['action'] as string | undefined,
        status: options['status'] as string | undefined,
        since: options['since'] as string | undefined,
        until: options['until'] as string | undefined,
        parent: options['parent'] as string | undefined,
        limit: options['limit'] as string,
        offset: options['offset'] as string,
      };
      const { items, total } = await onDataPath(
        (client) => client.listExecutions(query),
        (local) => listFromStore(local, query),
      );
      if (options['json']) {
        process.stdout.write(`${JSON.stringify({ total, items }, null, 2)}\n`);
        return;
      }
      for (const record of items) process.stdout.write(`${summaryLine(record)}\n`);
      process.stderr.write(`${items.length} of ${total}\n`);
    });

  command
    .command('tail')
    .description('Follow an execution: its output as it comes, then its final status')
    .argument('<id>', 'the execution id')
    .action(async (id: string) => {
      const final = await onDataPath(
        (client) => follow(client, id),
        (local) => printStoredOutput(local, id),
      );
      const stuck = isSettled(final.status) ? '' : ' (no server runs on PACKRUN_HOME to advance it: start one with `packrun up`)';
      process.stderr.write(`${final.id}: ${final.status}${stuck}\n`);
      if (final.status !== 'succeeded') throw new CliExit(exitCodes.failed);
    });

  command
    .command('cancel')
    .description('Cancel a running execution (its process is stopped)')
    .argument('<id>', 'the execution id')
    .action(async (id: string) => {
      const record = await (await requireApi(loadConfig())).cancelExecution(id);
      process.stdout.write(`${record.id}: ${record.status}\n`);
    });

  for (const [verb, status] of [['pause', 'pausing'], ['resume', 'resuming']] as const) {
    command
      .command(verb)
      .description(`${verb === 'pause' ? 'Pause a running workflow (its child workflows pause too)' : 'Resume a paused workflow'}`)
      .argument('<id>', 'the workflow execution id')
      .action(async (id: string) => {
        const record = await (await requireApi(loadConfig())).setExecutionStatus(id, status);
        process.stdout.write(`${record.id}: ${record.status}\n`);
      });
  }

  command
    .command('rerun')
    .description('Run an execution again with the same parameters; name=value words override them')
    .argument('<id>', 'the execution to run again')
    .argument('[parameters...]', 'overrides as name=value (values parsed as JSON when they are JSON)')
    .option('--async', 'print the new id and return at once')
    .option('--tasks <names>', 'an Orquesta workflow: run again from these tasks (comma-separated; "" for its failed ones), keeping what the others did')
    .action(async (id: string, words: string[], options: { async?: boolean; tasks?: string }) => {
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
      const tasks = options.tasks === undefined ? undefined : options.tasks.split(',').map((task) => task.trim()).filter((task) => task !== '');
      const record = await client.rerunExecution(id, overrides, tasks);
      if (options.async || isSettled(record.status)) {
        process.stdout.write(`${record.id}\n`);
        return;
      }
      const final = await follow(client, record.id);
      process.stderr.write(`${final.id}: ${final.status}\n`);
      if (final.status !== 'succeeded') throw new CliExit(exitCodes.failed);
    });

  registerExecutionPurge(command);
}

/** Why a policy holds an execution back (delayed) or ended it (canceled by a concurrency policy), from its status log. */
function policyReason(record: ExecutionRecord): string {
  const last = record.log.at(-1);
  return last?.by === 'policy' && last.reason !== undefined && last.status === record.status ? ` (${last.reason})` : '';
}
