import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, readRecordedApi, type PackrunConfig } from '@packrun/core';
import { sayPath } from '../verbose.ts';
import { ApiClient } from './api-client.ts';

/** Where `packrun up` / `packrun api` write the key the CLI uses. */
export function cliKeyFile(home: string): string {
  return path.join(home, 'secrets', 'cli-api-key');
}

/** The user of the CLI key `packrun up` creates: the installation's owner. */
export const cliKeyUser = 'admin';

/** The key the CLI sends: PACKRUN_API_KEY, else the one `packrun up` wrote. */
export async function cliApiKey(config: PackrunConfig): Promise<string | undefined> {
  if (config.apiKey) return config.apiKey;
  return (await readFile(cliKeyFile(config.home), 'utf8').catch(() => undefined))?.trim() || undefined;
}

const healthWithinMs = 1000;

/**
 * The API this configuration names, or undefined when none does: the one serving PACKRUN_HOME
 * (it records its address in PACKRUN_HOME/run/api.json), else PACKRUN_API_URL. Fails rather than
 * answer undefined when a server is named but does not answer: working around it on the store
 * would go behind its back (a live server owns the embedded store) or use another store than it.
 */
export async function findApiUrl(config: PackrunConfig): Promise<{ url: string; how: string } | undefined> {
  const recorded = readRecordedApi(config.home);
  if (recorded.state === 'live') {
    const { url, pid } = recorded.record;
    return { url, how: `the server of PACKRUN_HOME (process ${pid}, recorded in ${recorded.file})` };
  }
  if (recorded.state === 'stale') sayPath(`ignoring ${recorded.file}: the server that wrote it is gone (${recorded.reason})`);
  if (recorded.state === 'untrusted') process.stderr.write(`packrun: warning: ignoring ${recorded.file}: ${recorded.reason}\n`);
  if (config.apiUrl !== undefined) return { url: config.apiUrl, how: 'PACKRUN_API_URL' };
  return undefined;
}

/**
 * A client of the API that serves this configuration (findApiUrl), checked to answer; undefined
 * when no server is named, so the caller works on the store directly.
 */
export async function connectApi(config: PackrunConfig): Promise<ApiClient | undefined> {
  const found = await findApiUrl(config);
  if (!found) return undefined;
  const client = new ApiClient(found.url, await cliApiKey(config));
  if (!(await client.health(healthWithinMs))) {
    throw new PackrunError('API_UNREACHABLE', `the Packrun API at ${found.url} (${found.how}) does not answer`, {
      hint:
        found.how === 'PACKRUN_API_URL'
          ? 'start that server, or unset PACKRUN_API_URL to work on the store in PACKRUN_HOME while no server runs there'
          : 'the server is running but not answering (busy, or stopping): try again, or stop it and retry',
      details: { url: found.url },
    });
  }
  sayPath(`through the API at ${found.url}, found from ${found.how}`);
  return client;
}

/**
 * Whether the server this configuration talks to reads this machine's files as the caller does:
 * only the one serving the caller's own PACKRUN_HOME (it recorded itself there, alive). A server
 * found through PACKRUN_API_URL may be another host or a container, even on 127.0.0.1, so the
 * CLI uploads folders to it rather than name paths it may not see, or see as other files.
 */
export function serverSeesCallerFiles(config: PackrunConfig): boolean {
  return readRecordedApi(config.home).state === 'live';
}

/** A client for commands that need the server; fails plainly when none runs. */
export async function requireApi(config: PackrunConfig): Promise<ApiClient> {
  const client = await connectApi(config);
  if (!client) {
    throw new PackrunError('API_UNREACHABLE', `no Packrun server runs on ${config.home}, and PACKRUN_API_URL is not set`, {
      hint: 'start one with `packrun up`, or point PACKRUN_API_URL at a running API',
    });
  }
  return client;
}

/** The API a separate service (action runner, rules engine) reports to: it must be named. */
export async function serviceApiUrl(config: PackrunConfig, service: string): Promise<string> {
  const found = await findApiUrl(config);
  if (!found) {
    throw new PackrunError('SERVICE_NEEDS_API', `${service} found no API: none runs on ${config.home} and PACKRUN_API_URL is not set`, {
      hint: 'set PACKRUN_API_URL to the API this service works with, or start `packrun api` on the same PACKRUN_HOME first',
    });
  }
  sayPath(`reporting to the API at ${found.url}, found from ${found.how}`);
  return found.url;
}
