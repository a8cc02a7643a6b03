import { Option, type Command } from 'commander';
import { apiKeyRoles, loadConfig } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';

interface KeyRecord {
  id: string;
  user: string;
  role: string;
  enabled: boolean;
  description?: string;
  createdAt: string;
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
    .action(async (options: { user: string; role: string; description?: string }) => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<KeyRecord>('POST', '/api/v1/apikeys', options);
      process.stdout.write(`${data.key}\n`);
      process.stderr.write(`api key ${data.id} for ${data.user} (role ${data.role}) created; store it now, it cannot be shown again\n`);
    });
  command
    .command('list')
    .description('List API keys (ids, owners and roles, never the keys)')
    .action(async () => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<KeyRecord[]>('GET', '/api/v1/apikeys');
      for (const key of data) {
        process.stdout.write(`${key.id}  ${key.user}  ${key.role}  ${key.enabled ? 'enabled' : 'disabled'}  ${key.createdAt}  ${key.description ?? ''}\n`);
      }
    });
  command
    .command('delete')
    .description('Revoke an API key')
    .argument('<id>', 'key id from `packrun api-key list`')
    .action(async (id: string) => {
      const client = await requireApi(loadConfig());
      await client.request('DELETE', `/api/v1/apikeys/${encodeURIComponent(id)}`);
      process.stdout.write(`api key ${id} revoked\n`);
    });
}
