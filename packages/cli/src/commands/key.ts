import type { Command } from 'commander';
import { PackrunError, dataPaths, loadConfig, type KeyValueEntry, type KeyValueScope, type PackrunConfig } from '@packrun/core';
import { LocalFileKeyValues } from '@packrun/action-runner';
import { connectApi } from '../api-client/connect.ts';

interface ScopeOptions {
  scope: string;
  decrypt?: boolean;
  json?: boolean;
}

/**
 * The datastore: through the API when a server is up, else the local file datastore that
 * `packrun run` uses in local mode. Secrets print as ******** unless --decrypt.
 */
interface Datastore {
  get(name: string, scope: KeyValueScope, decrypt: boolean): Promise<KeyValueEntry | undefined>;
  set(name: string, value: string, options: { scope: KeyValueScope; secret: boolean; ttl?: number }): Promise<KeyValueEntry>;
  delete(name: string, scope: KeyValueScope): Promise<boolean>;
  list(scope: KeyValueScope, prefix: string | undefined, decrypt: boolean): Promise<KeyValueEntry[]>;
}

async function datastore(config: PackrunConfig): Promise<Datastore> {
  const client = await connectApi(config);
  if (client) {
    return {
      get: (name, scope, decrypt) =>
        client.getKey(name, { scope, decrypt }).catch((error: unknown) => {
          if (error instanceof PackrunError && error.code === 'KEY_NOT_FOUND') return undefined;
          throw error;
        }),
      set: (name, value, options) => client.setKey(name, { value, ...options }),
      delete: (name, scope) =>
        client.deleteKey(name, scope).then(
          () => true,
          (error: unknown) => {
            if (error instanceof PackrunError && error.code === 'KEY_NOT_FOUND') return false;
            throw error;
          },
        ),
      list: (scope, prefix, decrypt) => client.listKeys({ scope, decrypt, ...(prefix ? { prefix } : {}) }),
    };
  }
  const local = new LocalFileKeyValues(dataPaths(config.home));
  const mask = (entry: KeyValueEntry, decrypt: boolean): KeyValueEntry => (entry.secret && !decrypt ? { ...entry, value: '********' } : entry);
  return {
    get: async (name, scope, decrypt) => {
      const entry = await local.get(name, { scope, decrypt });
      return entry && mask(entry, decrypt);
    },
    set: async (name, value, options) =>
      mask(await local.set(name, value, { scope: options.scope, encrypt: options.secret, ...(options.ttl ? { ttl: options.ttl } : {}) }), false),
    delete: (name, scope) => local.delete(name, { scope }),
    list: async (scope, prefix, decrypt) =>
      (await local.list({ scope, decrypt, ...(prefix ? { prefix } : {}) })).map((entry) => mask(entry, decrypt)),
  };
}

function scopeOf(raw: string): KeyValueScope {
  if (raw !== 'system' && raw !== 'user') {
    throw new PackrunError('CLI_PARAMETERS_INVALID', `--scope must be system or user, got "${raw}"`);
  }
  return raw;
}

export function register(program: Command): void {
  const command = program.command('key').description('Datastore keys (st2kv): through the server when it is up, else the local datastore');
  const withScope = (sub: Command): Command => sub.option('--scope <scope>', 'system or user', 'system');

  withScope(command.command('get').argument('<name>'))
    .option('--decrypt', 'show a secret in clear')
    .option('--json', 'print JSON')
    .action(async (name: string, options: ScopeOptions) => {
      const entry = await (await datastore(loadConfig())).get(name, scopeOf(options.scope), options.decrypt === true);
      if (!entry) throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${options.scope}`);
      process.stdout.write(options.json ? `${JSON.stringify(entry, null, 2)}\n` : `${entry.value}\n`);
    });

  withScope(command.command('set').argument('<name>').argument('<value>'))
    .option('--secret', 'store it encrypted; shown as ******** unless asked with --decrypt')
    .option('--ttl <seconds>', 'expire after this many seconds')
    .action(async (name: string, value: string, options: ScopeOptions & { secret?: boolean; ttl?: string }) => {
      const ttl = options.ttl === undefined ? undefined : Number(options.ttl);
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) {
        throw new PackrunError('CLI_PARAMETERS_INVALID', `--ttl must be a whole number of seconds, got "${options.ttl}"`);
      }
      const entry = await (await datastore(loadConfig())).set(name, value, {
        scope: scopeOf(options.scope),
        secret: options.secret === true,
        ...(ttl ? { ttl } : {}),
      });
      process.stdout.write(`${entry.name} set (${entry.scope}${entry.secret ? ', secret' : ''})\n`);
    });

  withScope(command.command('delete').argument('<name>')).action(async (name: string, options: ScopeOptions) => {
    if (!(await (await datastore(loadConfig())).delete(name, scopeOf(options.scope)))) {
      throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${options.scope}`);
    }
    process.stdout.write(`${name} deleted\n`);
  });

  withScope(command.command('list'))
    .option('--prefix <prefix>', 'only names starting with this')
    .option('--decrypt', 'show secrets in clear')
    .option('--json', 'print JSON')
    .action(async (options: ScopeOptions & { prefix?: string }) => {
      const entries = await (await datastore(loadConfig())).list(scopeOf(options.scope), options.prefix, options.decrypt === true);
      if (options.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else for (const entry of entries) process.stdout.write(`${entry.name}\t${entry.value}${entry.secret ? '\t(secret)' : ''}\n`);
    });
}
