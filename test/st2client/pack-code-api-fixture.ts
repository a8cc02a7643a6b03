import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { detectSandbox, loadConfig, type St2Execution } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { retryUntil } from '../helpers/retry-until.ts';
import { realPython } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { repoRoot, testUidRange } from '../sandbox/sandbox-fixture.ts';

export const apiProbePackDir = path.join(import.meta.dirname, 'fixtures', 'apiprobe');
export const st2PackDir = path.join(repoRoot, 'test', 'fixtures', 'exchange', 'st2');

/**
 * A real `packrun up` (every sandbox layer, warm spawning as configured) whose packs `apiprobe`
 * and the Exchange's `st2` get StackStorm's API (PACKRUN_ACTION_API_PACKS), with their jobs in
 * network namespaces of their own: the API's port is their one way out to the host.
 */
export interface PackCodeApiFixture {
  home: string;
  apiPort: number;
  server: PackrunProcess;
  api: Awaited<ReturnType<typeof apiAt>>;
  execute(action: string, parameters: Record<string, unknown>): Promise<St2Execution>;
  start(action: string, parameters: Record<string, unknown>): Promise<string>;
  waitFor(id: string): Promise<St2Execution>;
  close(): Promise<void>;
}

export type FixtureOrSkip = { fixture: PackCodeApiFixture } | { skip: string };

export async function packCodeApiFixture(options: { warm: boolean; packs: string[]; env?: Record<string, string> }): Promise<FixtureOrSkip> {
  if (process.getuid?.() !== 0) return { skip: 'the sandbox layers need root' };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-pack-api-'));
  // Job uids reach their packs through the data folder.
  chmodSync(scratch, 0o711);
  const home = path.join(scratch, 'home');
  const apiPort = await freePort();
  const env: Record<string, string> = {
    PACKRUN_HOME: home,
    PACKRUN_PYTHON: realPython(),
    PACKRUN_API_PORT: String(apiPort),
    PACKRUN_API_URL: `http://127.0.0.1:${apiPort}`,
    PACKRUN_WARM_SPAWN: options.warm ? 'on' : 'off',
    PACKRUN_ACTION_API_PACKS: 'apiprobe,st2',
    PACKRUN_LOG_LEVEL: 'debug',
    ...testUidRange(),
    ...options.env,
  };
  const config = loadConfig(env);
  const host = await detectSandbox(config);
  const inactive = host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) {
    rmSync(scratch, { recursive: true, force: true });
    return { skip: `not every sandbox layer is active here (${inactive.join('; ')})` };
  }
  await installPack(options.packs, { config });
  const server = startPackrun(['up'], env);
  await server.waitForOutput(/packrun is up/, 180_000);
  const api = await apiAt(env['PACKRUN_API_URL']!, home);

  async function start(action: string, parameters: Record<string, unknown>): Promise<string> {
    const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action, parameters });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  }
  async function waitFor(id: string): Promise<St2Execution> {
    let done: St2Execution | undefined;
    await retryUntil(
      async () => {
        done = (await api.call<St2Execution>('GET', `/api/v1/executions/${id}`)).body;
        return ['succeeded', 'failed', 'timeout', 'canceled', 'abandoned'].includes(done.status);
      },
      { what: `execution ${id} to end`, withinMs: 120_000, everyMs: 50 },
    );
    return done!;
  }
  return {
    fixture: {
      home,
      apiPort,
      server,
      api,
      start,
      waitFor,
      execute: async (action, parameters) => waitFor(await start(action, parameters)),
      async close() {
        server.signal('SIGTERM');
        await server.exited;
        rmSync(scratch, { recursive: true, force: true });
      },
    },
  };
}

/** The result an action returned, once it succeeded. */
export function resultOf<T>(record: St2Execution): T {
  expect(record.status, JSON.stringify(record.result)).toBe('succeeded');
  return (record.result as { result: T }).result;
}
