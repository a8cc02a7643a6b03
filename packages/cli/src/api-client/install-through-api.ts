import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeActionCounts, type ActionSummary, type ExecutionRecord } from '@packrun/core';
import { CliExit, exitCodes } from '../exit.ts';
import type { ApiClient } from './api-client.ts';
import { waitForExecution } from './wait-for-execution.ts';

/**
 * `packrun pack install` while a server runs: the install is a `packs.install` execution on the
 * server (which registers the packs in its store), its progress lines streamed here as they come.
 */
export async function installThroughApi(client: ApiClient, sources: string[], options: { force: boolean; json: boolean }): Promise<void> {
  // A folder or archive named relative to where the user stands means nothing to the server.
  const absolute = sources.map((source) => (existsSync(source) ? path.resolve(source) : source));
  const { data: created } = await client.request<ExecutionRecord>('POST', '/api/v1/packs/install', { source: absolute, force: options.force });
  process.stderr.write(`installing on the server at ${client.url} (execution ${created.id})\n`);
  const done = await waitForExecution(client, created.id, { onOutput: (chunk) => process.stderr.write(chunk.data) });
  const result = (done.result ?? {}) as {
    installed?: Array<{ ref: string; version: string }>;
    kept?: Array<{ ref: string; version: string }>;
    actions?: Record<string, ActionSummary>;
  };
  if (options.json) process.stdout.write(`${JSON.stringify({ execution: done.id, status: done.status, ...result }, null, 2)}\n`);
  else {
    for (const pack of result.installed ?? []) {
      const actions = result.actions?.[pack.ref];
      process.stdout.write(`installed ${pack.ref} ${pack.version}${actions ? `: ${describeActionCounts(actions)}` : ''}\n`);
    }
    for (const pack of result.kept ?? []) process.stdout.write(`kept ${pack.ref} ${pack.version} (already installed, fits)\n`);
  }
  if (done.status !== 'succeeded') {
    process.stderr.write(`install ${done.status}${done.error ? `: [${done.error.type}] ${done.error.message}` : ''}\n`);
    throw new CliExit(exitCodes.failed);
  }
}

/** `packrun pack remove` while a server runs: a `packs.remove` execution, so the store forgets the pack too. */
export async function removeThroughApi(client: ApiClient, ref: string, force: boolean): Promise<void> {
  const { data: created } = await client.request<ExecutionRecord>('DELETE', `/api/v1/packs/${encodeURIComponent(ref)}?force=${force}`);
  const done = await waitForExecution(client, created.id);
  if (done.status !== 'succeeded') {
    process.stderr.write(`remove ${done.status}${done.error ? `: [${done.error.type}] ${done.error.message}` : ''}\n`);
    throw new CliExit(exitCodes.failed);
  }
  process.stdout.write(`removed ${ref}\n`);
}
