import type { Command } from 'commander';
import { PackrunError, keyValuePairOf, loadConfig, maskedValue, type KeyValueEntry, type KeyValues, type KeyValueScope } from '@packrun/core';
import { apiKeyValues } from '../api-client/api-key-values.ts';
import { chooseDataPath } from '../local-store/data-path.ts';
import { printJson } from '../output/json.ts';
import { printList } from '../output/table.ts';

interface ScopeOptions {
  scope: string;
  decrypt?: boolean;
  json?: boolean;
}

/**
 * Runs `work` on the datastore of PACKRUN_HOME's one data path: through its server when it runs,
 * else the same store it uses, as the CLI key's user (chooseDataPath). `user` is whose user-scoped
 * keys these are where the CLI decides (the API decides itself). Secrets print as ******** unless
 * --decrypt.
 */
async function withDatastore<T>(work: (datastore: KeyValues, user: string | undefined) => Promise<T>): Promise<T> {
  const path = await chooseDataPath(loadConfig());
  if (path.kind === 'api') return work(apiKeyValues(path.client), undefined);
  try {
    return await work(path.local.keyValues, path.local.user);
  } finally {
    await path.local.close();
  }
}

function shown(entry: KeyValueEntry, decrypt: boolean): KeyValueEntry {
  return entry.secret && !decrypt ? { ...entry, value: maskedValue } : entry;
}

function owner(raw: string, user: string | undefined): { scope: KeyValueScope; user?: string } {
  const scope = scopeOf(raw);
  return { scope, ...(scope === 'user' && user !== undefined ? { user } : {}) };
}

function scopeOf(raw: string): KeyValueScope {
  if (raw !== 'system' && raw !== 'user') {
    throw new PackrunError('CLI_PARAMETERS_INVALID', `--scope must be system or user, got "${raw}"`);
  }
  return raw;
}

export function register(program: Command): void {
  const command = program.command('key').description('Datastore keys (st2kv): through the server of PACKRUN_HOME when it runs, else in the store it uses');
  const withScope = (sub: Command): Command => sub.option('--scope <scope>', 'system or user', 'system');

  withScope(command.command('get').description('A key\'s value').argument('<name>', 'the key\'s name'))
    .option('--decrypt', 'show a secret in clear')
    .option('--json', 'print JSON')
    .action(async (name: string, options: ScopeOptions) => {
      const decrypt = options.decrypt === true;
      const entry = await withDatastore((datastore, user) => datastore.get(name, { ...owner(options.scope, user), decrypt }));
      if (!entry) throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${options.scope}`);
      // --json prints st2's KeyValuePair, as the API answers it.
      if (options.json) printJson(keyValuePairOf(entry, { decrypted: decrypt }));
      else process.stdout.write(`${shown(entry, decrypt).value}\n`);
    });

  withScope(command.command('set').description('Set a key\'s value').argument('<name>', 'the key\'s name').argument('<value>', 'the value (--secret encrypts it at rest)'))
    .option('--secret', 'store it encrypted; shown as ******** unless asked with --decrypt')
    .option('--ttl <seconds>', 'expire after this many seconds')
    .option('--json', 'print the key as JSON (st2 KeyValuePair; a secret masked)')
    .action(async (name: string, value: string, options: ScopeOptions & { secret?: boolean; ttl?: string }) => {
      const ttl = options.ttl === undefined ? undefined : Number(options.ttl);
      if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) {
        throw new PackrunError('CLI_PARAMETERS_INVALID', `--ttl must be a whole number of seconds, got "${options.ttl}"`);
      }
      const entry = await withDatastore((datastore, user) =>
        datastore.set(name, value, { ...owner(options.scope, user), encrypt: options.secret === true, ...(ttl ? { ttl } : {}) }),
      );
      if (options.json) printJson(keyValuePairOf(entry, { decrypted: false }));
      else process.stdout.write(`${entry.name} set (${entry.scope}${entry.secret ? ', secret' : ''})\n`);
    });

  withScope(command.command('delete').description('Delete a key').argument('<name>', 'the key\'s name'))
    .option('--json', 'print the key as it was before it was deleted, as JSON (st2 KeyValuePair; a secret masked)')
    .action(async (name: string, options: ScopeOptions) => {
      const gone = await withDatastore(async (datastore, user) => {
        const entry = await datastore.get(name, { ...owner(options.scope, user), decrypt: false });
        return entry && (await datastore.delete(name, owner(options.scope, user))) ? entry : undefined;
      });
      if (!gone) throw new PackrunError('KEY_NOT_FOUND', `datastore key "${name}" does not exist in scope ${options.scope}`);
      if (options.json) printJson(keyValuePairOf(gone, { decrypted: false }));
      else process.stdout.write(`${name} deleted\n`);
    });

  withScope(command.command('list').description('Keys and their values'))
    .option('--prefix <prefix>', 'only names starting with this')
    .option('--decrypt', 'show secrets in clear')
    .option('--json', 'print JSON')
    .action(async (options: ScopeOptions & { prefix?: string }) => {
      const decrypt = options.decrypt === true;
      const entries = await withDatastore((datastore, user) => datastore.list({ ...owner(options.scope, user), decrypt, ...(options.prefix ? { prefix: options.prefix } : {}) }));
      if (options.json) return printJson(entries.map((entry) => keyValuePairOf(entry, { decrypted: decrypt })));
      printList(['name', 'value', 'secret'], entries.map((each) => shown(each, decrypt)).map((entry) => [entry.name, entry.value, entry.secret ? 'secret' : '']), 'no keys');
    });
}
