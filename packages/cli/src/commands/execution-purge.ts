import type { Command } from 'commander';
import { completedStatuses, loadConfig, PackrunError } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';

interface PurgeOptions {
  timestamp?: string;
  olderThan?: string;
  action?: string;
  status?: string;
  json?: boolean;
}

/** The purge request of the options, checked here so the error names the flag, not the body field. */
function purgeBody(options: PurgeOptions): Record<string, unknown> {
  if ((options.timestamp === undefined) === (options.olderThan === undefined)) {
    throw new PackrunError('CLI_PARAMETERS_INVALID', 'give one of --timestamp <ISO-8601 time> or --older-than <days>', {
      hint: 'e.g. `packrun execution purge --older-than 30`',
    });
  }
  const body: Record<string, unknown> = {};
  if (options.timestamp !== undefined) {
    if (Number.isNaN(Date.parse(options.timestamp))) throw new PackrunError('CLI_PARAMETERS_INVALID', `--timestamp must be an ISO-8601 time, got "${options.timestamp}"`);
    body['timestamp'] = new Date(options.timestamp).toISOString();
  }
  if (options.olderThan !== undefined) {
    const days = Number(options.olderThan);
    if (!Number.isFinite(days) || days <= 0) throw new PackrunError('CLI_PARAMETERS_INVALID', `--older-than must be a positive number of days, got "${options.olderThan}"`);
    body['older_than_days'] = days;
  }
  if (options.status !== undefined && !completedStatuses.has(options.status as never)) {
    throw new PackrunError('CLI_PARAMETERS_INVALID', `--status must be a completed status (${[...completedStatuses].join(', ')}): unfinished executions are never purged`);
  }
  if (options.action !== undefined) body['action'] = options.action;
  if (options.status !== undefined) body['status'] = options.status;
  return body;
}

/** `packrun execution purge`, as `st2 execution purge`: the server removes, an admin key asks. */
export function registerExecutionPurge(command: Command): void {
  command
    .command('purge')
    .description('Remove completed executions (and their stored output) created before a time; never unfinished ones. Needs an admin key')
    .option('--timestamp <time>', 'remove those created before this time (ISO-8601)')
    .option('--older-than <days>', 'remove those created more than this many days ago')
    .option('--action <ref>', 'only executions of this action')
    .option('--status <status>', 'only executions that ended with this status')
    .option('--json', 'print the answer as JSON')
    .action(async (options: PurgeOptions) => {
      const body = purgeBody(options);
      const client = await requireApi(loadConfig());
      const { data } = await client.request<{ removed: number; before: string }>('POST', '/api/v1/executions/purge', body);
      process.stdout.write(options.json ? `${JSON.stringify(data)}\n` : `${data.removed} executions created before ${data.before} removed\n`);
    });
}
