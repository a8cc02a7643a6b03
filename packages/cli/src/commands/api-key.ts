import { Option, type Command } from 'commander';
import { apiKeyRoles, loadConfig } from '@packrun/core';
import { requireApi } from '../api-client/connect.ts';

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
    .action(async (options: { user: string; role: string; description?: string }) => {
      const client = await requireApi(loadConfig());
      const body = { user: options.user, role: options.role, ...(options.description === undefined ? {} : { metadata: { description: options.description } }) };
      const { data } = await client.request<KeyRecord>('POST', '/api/v1/apikeys', body);
      process.stdout.write(`${data.key}\n`);
      process.stderr.write(`api key ${data.id} for ${data.user} (role ${data.role}) created; store it now, it cannot be shown again\n`);
    });
  command
    .command('list')
    .description('List API keys (ids, owners and roles, never the keys)')
    .action(async () => {
      const client = await requireApi(loadConfig());
      const { data } = await client.request<KeyRecord[]>('GET', '/api/v1/apikeys?limit=-1');
      for (const key of data) {
        const description = typeof key.metadata.description === 'string' ? key.metadata.description : '';
        process.stdout.write(`${key.id}  ${key.user}  ${key.role}  ${key.enabled ? 'enabled' : 'disabled'}  ${key.created_at}  ${description}\n`);
      }
    });
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    command
      .command(verb)
      .description(enabled ? 'Enable an API key again' : 'Disable an API key: it and its tokens stop working until enabled')
      .argument('<id>', 'key id from `packrun api-key list`')
      .action(async (id: string) => {
        const client = await requireApi(loadConfig());
        await client.request('PUT', `/api/v1/apikeys/${encodeURIComponent(id)}`, { enabled });
        process.stdout.write(`api key ${id} ${verb}d\n`);
      });
  }
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
