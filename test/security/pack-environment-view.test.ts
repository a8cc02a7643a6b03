import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, readInstalledPack, type St2Execution } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { writePack } from '../installer/fixtures.ts';

/**
 * A pack's `environment` in GET /api/v1/packs is served to every read role and read from a file in
 * a folder the pack's own build wrote (its install scripts run there): the attacks are a reader
 * learning host paths through it, and a build planting a link where the installer writes the
 * env's ready marker so that the installer, outside the sandbox, writes through it.
 */
let stack: ServiceStack;
let root: string;

beforeAll(async () => {
  // npm install scripts allowed: the pack's own postinstall runs (sandboxed) in the env being built.
  stack = await startStack({ packs: ['core'], env: { PACKRUN_ALLOW_NPM_SCRIPTS: 'true' } });
  root = await mkdtemp(path.join(os.tmpdir(), 'packrun-env-view-attack-'));
});

afterAll(async () => {
  await stack?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function install(folder: string): Promise<St2Execution> {
  const response = await stack.call('POST', '/api/v1/packs/install', { packs: [folder] });
  expect(response.statusCode, response.body).toBe(202);
  const id = response.json<{ execution_id: string }>().execution_id;
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), { withinMs: 180_000, what: `install ${id} ended` });
  return record!;
}

describe("a pack's environment as the pack API serves it", () => {
  it('shows an observer the kind, state and interpreter version, never the env folder or an interpreter path', async () => {
    await writePack(path.join(root, 'pyview'), { ref: 'pyview', version: '1.0.0', files: { 'actions/run.py': 'print(1)\n' } });
    expect((await install(path.join(root, 'pyview'))).status).toBe('succeeded');
    const installed = await readInstalledPack(stack.home.paths, 'pyview');
    const { key } = await createApiKey(stack.store, { user: 'auditor', role: 'observer' });
    for (const url of ['/api/v1/packs/pyview', '/api/v1/packs']) {
      const response = await stack.call('GET', url, undefined, { 'x-api-key': key });
      expect(response.statusCode).toBe(200);
      for (const hostPath of [installed.env.path!, installed.env.python!, installed.env.interpreter!.executable, stack.home.paths.envs]) expect(response.body).not.toContain(hostPath);
    }
    const served = (await stack.call('GET', '/api/v1/packs/pyview', undefined, { 'x-api-key': key })).json<{ environment: Record<string, unknown> }>().environment;
    expect(served).toMatchObject({ kind: 'python', state: 'ready', python: { version: installed.env.interpreter!.version } });
  });

  it('does not let a build link the ready marker to a host file: the installer never writes through it', async () => {
    const victim = path.join(root, 'victim.conf');
    await writeFile(victim, 'owned by the host\n');
    await writePack(path.join(root, 'linker'), {
      ref: 'linker',
      version: '1.0.0',
      packageJson: { name: 'linker', version: '1.0.0', private: true, scripts: { postinstall: `ln -sf ${victim} .packrun-env.json` } },
    });
    const done = await install(path.join(root, 'linker'));
    expect(done.status, JSON.stringify(done.result)).toBe('succeeded');
    expect(await readFile(victim, 'utf8')).toBe('owned by the host\n');
    const installed = await readInstalledPack(stack.home.paths, 'linker');
    // The marker is the installer's own file, and the env is reported ready from it.
    expect(JSON.parse(await readFile(path.join(installed.env.path!, '.packrun-env.json'), 'utf8'))).toMatchObject({ ref: 'linker', kind: 'node' });
    expect((await stack.call('GET', '/api/v1/packs/linker')).json()).toMatchObject({ environment: { kind: 'node', state: 'ready' } });
  });
});
