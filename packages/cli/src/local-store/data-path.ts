import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, isPackrunError, PackrunError, type PackrunConfig } from '@packrun/core';
import type { ApiClient } from '../api-client/api-client.ts';
import { connectApi } from '../api-client/connect.ts';
import { sayPath } from '../verbose.ts';
import { openLocalStore, type LocalStore } from './local-store.ts';

export type DataPath = { kind: 'api'; client: ApiClient } | { kind: 'store'; local: LocalStore };

/**
 * How long the CLI waits for an embedded store another process holds: another CLI command holds
 * it for the moment it works on it, and a server starting holds it before it listens (and then
 * records its address, and the CLI goes through it).
 */
const lockWaitMs = 10_000;
const lockPollMs = 200;

/**
 * The one data path of `packrun run`, `key` and `execution`: the server of PACKRUN_HOME (or the
 * one PACKRUN_API_URL names) when there is one, else the very store that server uses. Never a
 * store of the CLI's own, and never the store behind a live server's back: when a process holds
 * the embedded store and no server answers, the command fails saying so.
 */
export async function chooseDataPath(config: PackrunConfig): Promise<DataPath> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'packrun-cli' });
  const deadline = Date.now() + lockWaitMs;
  let waiting = false;
  for (;;) {
    const client = await connectApi(config);
    if (client) return { kind: 'api', client };
    try {
      const local = await openLocalStore(config, logger);
      sayPath(`no server runs on ${config.home}: working on its store directly (${local.store.kind === 'mongodb' ? 'MongoDB at PACKRUN_MONGODB_URL' : `the embedded store in ${config.home}/store`})`);
      return { kind: 'store', local };
    } catch (error) {
      if (!isPackrunError(error) || error.code !== 'STORE_LOCKED') throw error;
      if (Date.now() >= deadline) throw heldWithoutServer(error, config);
      if (!waiting) sayPath(`${error.message} and no server answers yet: waiting up to ${lockWaitMs / 1000} s`);
      waiting = true;
    }
    await sleep(lockPollMs);
  }
}

function heldWithoutServer(locked: PackrunError, config: PackrunConfig): PackrunError {
  return new PackrunError('STORE_LOCKED', `${locked.message}, and no Packrun server answers for ${config.home}: the CLI will not work on the store behind it`, {
    hint: `if that process is a Packrun server, it has not recorded its address in ${config.home}/run/api.json (still starting, or stuck): wait for it, or stop it; if it is another \`packrun run\`, let it finish`,
    ...(locked.details ? { details: locked.details } : {}),
    cause: locked,
  });
}
