import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, type PackrunConfig } from '@packrun/core';
import { ApiClient } from './api-client.ts';

/** Where `packrun up` / `packrun api` write the key the CLI uses. */
export function cliKeyFile(home: string): string {
  return path.join(home, 'secrets', 'cli-api-key');
}

/** The key the CLI sends: PACKRUN_API_KEY, else the one `packrun up` wrote. */
export async function cliApiKey(config: PackrunConfig): Promise<string | undefined> {
  if (config.apiKey) return config.apiKey;
  return (await readFile(cliKeyFile(config.home), 'utf8').catch(() => undefined))?.trim() || undefined;
}

/** A client when an API answers at PACKRUN_API_URL, else undefined (the CLI then works locally). */
export async function connectApi(config: PackrunConfig, timeoutMs = 1000): Promise<ApiClient | undefined> {
  const client = new ApiClient(config.apiUrl, await cliApiKey(config));
  return (await client.health(timeoutMs)) ? client : undefined;
}

/** A client for commands that need the server; fails plainly when it is not up. */
export async function requireApi(config: PackrunConfig): Promise<ApiClient> {
  const client = await connectApi(config);
  if (!client) {
    throw new PackrunError('API_UNREACHABLE', `no Packrun API answers at ${config.apiUrl}`, {
      hint: 'start one with `packrun up`, or point PACKRUN_API_URL at a running API',
    });
  }
  return client;
}
