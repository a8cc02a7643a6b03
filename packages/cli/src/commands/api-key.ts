import { Option, type Command } from 'commander';
import { apiKeyRoles, loadConfig } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';
import { printJson } from '../output/json.ts';
import { printList, statusCell } from '../output/table.ts';

/** st2's ApiKey as the API answers it (routes/api-keys.ts). */
interface KeyRecord {
  id: string;
  user: string;
  role: string;
  enabled: boolean;
  metadata: { description?: unknown };
  created_at: string;
  key?: string;
}

export function register(program: Command): void {
  const command = program.command('api-key').description('API keys of the running server (e.g. one per action runner), each with a role');
  command
    .command('create')
    .description('Create an API key and print it (it is shown only this once)')
    .option('--user <user>', 'who the key acts as', 'admin')
    .addOption(
      new Option('--role <role>', 'what it may do: observer reads, operator runs and manages, admin also installs packs and manages keys, runner is for `packrun action-runner` (docs/api.md)')
        .choices([...apiKeyRoles])
        .default('observer'),
    )
    .option('--description <text>', 'what it is for')
    .option('--json', 'print the API key as JSON (st2 ApiKey, with `key` this once)')
    .action(async (options: { user: string; role: string; description?: string; json?: boolean }) => {
      const client = await requireApi(loadConfig());
      const body = { user: options.user, role: options.role, ...(options.description === undefined ? {} : { metadata: { description: options.description } }) };
      const { data } = await client.request<KeyRecord>('POST', '/api/v1/apikeys', body);
      if (options.json) printJson(data);
      else process.stdout.write(`${data.key}\n`);
      process.stderr.write(`api key ${data.id} for ${data.user} (role ${data.role}) created; store it now, it cannot be shown again\n`);
    });
  command
    .command('list')
    .description('List API keys (ids, owners and roles, never the keys)')
    .option('--json', 'print JSON (st2 ApiKeys)')
    .action(async (options: { json?: boolean }) => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<KeyRecord[]>('GET', '/api/v1/apikeys?limit=-1');
      if (options.json) return printJson(data);
      const rows = data.map((key) => [
        key.id,
        key.user,
        key.role,
        statusCell(key.enabled ? 'enabled' : 'disabled'),
        key.created_at,
        typeof key.metadata.description === 'string' ? key.metadata.description : '',
      ]);
      printList(['id', 'user', 'role', 'state', 'created', 'description'], rows, 'no API keys');
    });
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    command
      .command(verb)
      .description(enabled ? 'Enable an API key again' : 'Disable an API key: it and its tokens stop working until enabled')
      .argument('<id>', 'key id from `packrun api-key list`')
      .option('--json', 'print the API key as JSON (st2 ApiKey)')
      .action(async (id: string, options: { json?: boolean }) => {
        const client = await requireApi(loadConfig());
        const { data } = await client.request<KeyRecord>('PUT', `/api/v1/apikeys/${encodeURIComponent(id)}`, { enabled });
        if (options.json) printJson(data);
        else process.stdout.write(`api key ${id} ${verb}d\n`);
      });
  }
  command
    .command('delete')
    .description('Revoke an API key')
    .argument('<id>', 'key id from `packrun api-key list`')
    .option('--json', 'print the API key as it was before it was revoked, as JSON (st2 ApiKey)')
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<KeyRecord>('GET', `/api/v1/apikeys/${encodeURIComponent(id)}`);
      await client.request('DELETE', `/api/v1/apikeys/${encodeURIComponent(data.id)}`);
      if (options.json) printJson(data);
      else process.stdout.write(`api key ${id} revoked\n`);
    });
}
