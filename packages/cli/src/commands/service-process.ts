import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashApiKey, type Logger, type Store } from '@packrun/core';
import { cliKeyFile, cliKeyUser } from '../api-client/connect.ts';

/**
 * Makes sure PACKRUN_HOME/secrets/cli-api-key holds a key the store knows: created on first start,
 * written 0600 (through a rename, so no reader ever sees half a key). It is a system_admin key:
 * whoever can read that file can read the datastore key beside it and the store itself, so it is
 * the installation's owner, and someone must be able to create admin keys.
 */
export async function ensureCliKey(store: Store, home: string, logger: Logger): Promise<string> {
  const file = cliKeyFile(home);
  const existing = (await readFile(file, 'utf8').catch(() => ''))?.trim();
  if (existing) {
    const record = await store.apiKeys.findOne({ keyHash: hashApiKey(existing) });
    if (record?.enabled && record.role === undefined) {
      // Written before keys had roles: it stays the owner's key (the API gives other such keys admin).
      await store.apiKeys.update({ id: record.id }, { set: { role: 'system_admin' } });
      logger.warn({ apiKey: record.id, file, role: 'system_admin' }, 'CLI API key stored without a role now has role system_admin');
    }
    if (record?.enabled) return file;
  }
  // Loaded here, by the services that write the key, never by the CLI's other commands.
  const { createApiKey } = await import('@packrun/api');
  const { key } = await createApiKey(store, { user: cliKeyUser, role: 'system_admin', description: 'CLI key written by packrun up' });
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${key}\n`, { mode: 0o600 });
  await rename(temporary, file);
  logger.info({ file }, 'CLI API key created');
  return file;
}

/** Resolves with the signal's name on the first SIGTERM or SIGINT. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
