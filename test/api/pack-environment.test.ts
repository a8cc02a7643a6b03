import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCompleted, readInstalledPack, type St2Execution } from '@packrun/core';
import { createApiKey } from '@packrun/api';
import { retryUntil } from '../helpers/retry-until.ts';
import { writePack } from '../installer/fixtures.ts';
import { startStack, type ServiceStack } from './harness.ts';

interface ServedEnvironment {
  kind: string;
  state: string;
  python?: { implementation: string; version: string; name: string };
  built_at?: string;
  build?: { state: string; execution_id: string; at: string; error?: { code: string; message: string } };
}

let stack: ServiceStack;
let root: string;

beforeAll(async () => {
  stack = await startStack({ packs: ['core'] });
  root = await mkdtemp(path.join(os.tmpdir(), 'packrun-pack-env-'));
});

afterAll(async () => {
  await stack?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function startInstall(folder: string): Promise<string> {
  const response = await stack.call('POST', '/api/v1/packs/install', { packs: [folder] });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ execution_id: string }>().execution_id;
}

/** Installs through the API and waits for the packs.install execution to end. */
async function install(folder: string, started?: string): Promise<St2Execution> {
  const id = started ?? (await startInstall(folder));
  let record: St2Execution | undefined;
  await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), { withinMs: 180_000, what: `install ${id} ended` });
  return record!;
}

async function environment(ref: string, key?: string): Promise<{ body: string; environment: ServedEnvironment; version: string }> {
  const response = await stack.call('GET', `/api/v1/packs/${ref}`, undefined, key ? { 'x-api-key': key } : {});
  expect(response.statusCode, response.body).toBe(200);
  const pack = response.json<{ environment: ServedEnvironment; version: string }>();
  return { body: response.body, ...pack };
}

/** What the env's own interpreter says it is. */
function venvReports(python: string): { implementation: string; version: string } {
  const [implementation, version] = execFileSync(python, ['-I', '-c', 'import sys,platform;print(sys.implementation.name);print(platform.python_version())'], { encoding: 'utf8' }).trim().split('\n');
  return { implementation: implementation!, version: version! };
}

describe("a pack's environment in the pack API", () => {
  it('reports a Python pack ready with the version its venv runs, and no host path to a reader', async () => {
    await writePack(path.join(root, 'pyenv'), { ref: 'pyenv', version: '1.0.0', requirements: 'six==1.16.0\n' });
    const done = await install(path.join(root, 'pyenv'));
    expect(done.status, JSON.stringify(done.result)).toBe('succeeded');
    const installed = await readInstalledPack(stack.home.paths, 'pyenv');
    const real = venvReports(installed.env.python!);

    const { environment: served } = await environment('pyenv');
    expect(served).toMatchObject({ kind: 'python', state: 'ready', python: { implementation: real.implementation, version: real.version } });
    expect(served.python?.name).toBe(`${real.implementation === 'cpython' ? 'CPython' : real.implementation} ${real.version}`);
    expect(Date.parse(served.built_at!)).toBeGreaterThan(Date.parse(done.start_timestamp));
    expect(served.build).toBeUndefined();
    // The list serves the same.
    const listed = (await stack.call('GET', '/api/v1/packs?ref=pyenv')).json<Array<{ environment: ServedEnvironment }>>();
    expect(listed[0]?.environment).toEqual(served);

    // An observer reads the env's facts, never where it lives nor which binary built it.
    const { key } = await createApiKey(stack.store, { user: 'viewer', role: 'observer' });
    const seen = await environment('pyenv', key);
    expect(seen.environment).toEqual(served);
    for (const hostPath of [installed.env.path!, installed.env.python!, installed.env.interpreter!.executable, stack.home.paths.envs]) expect(seen.body).not.toContain(hostPath);
  });

  it('reports a Node pack ready as node_modules, and a pack without code as needing none', async () => {
    await writePack(path.join(root, 'nodeenv'), { ref: 'nodeenv', version: '1.0.0', packageJson: { name: 'nodeenv', version: '1.0.0', private: true } });
    await writePack(path.join(root, 'plain'), { ref: 'plain', version: '1.0.0' });
    expect((await install(path.join(root, 'nodeenv'))).status).toBe('succeeded');
    expect((await install(path.join(root, 'plain'))).status).toBe('succeeded');
    const node = (await environment('nodeenv')).environment;
    expect(node).toMatchObject({ kind: 'node', state: 'ready' });
    expect(node.python).toBeUndefined();
    expect((await environment('plain')).environment).toEqual({ kind: 'none', state: 'none' });
  });

  it('reports a failed build of a new version with its error beside the env the active version keeps, until an install succeeds', async () => {
    const before = (await environment('pyenv')).environment;
    await writePack(path.join(root, 'pyenv-broken'), { ref: 'pyenv', version: '1.1.0', requirements: 'packrun-no-such-distribution-7f3a==9.9.9\n' });
    const id = await startInstall(path.join(root, 'pyenv-broken'));
    // While uv works, the installed version's record says a build is under way, and by which install.
    await retryUntil(async () => (await stack.store.packs.get('pyenv'))?.environment?.build !== undefined, { withinMs: 60_000, what: 'the build marked' });
    const during = (await environment('pyenv')).environment;
    expect(during).toMatchObject({ state: 'ready', python: before.python, build: { state: 'building', execution_id: id } });
    const failed = await install(path.join(root, 'pyenv-broken'), id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.type).toBe('PACK_ENV_BUILD_FAILED');

    const after = await environment('pyenv');
    expect(after.version).toBe('1.0.0');
    expect(after.environment).toMatchObject({ kind: 'python', state: 'ready', python: before.python, built_at: before.built_at });
    expect(after.environment.build).toMatchObject({ state: 'failed', execution_id: failed.id, error: { code: 'PACK_ENV_BUILD_FAILED', message: failed.error?.message } });
    expect(after.environment.build?.error?.message).toMatch(/pack "pyenv"/);
    // The tool's output and paths stay in the execution.
    expect(JSON.stringify(after.environment)).not.toContain(stack.home.paths.home);

    expect((await install(path.join(root, 'pyenv'))).status).toBe('succeeded');
    expect((await environment('pyenv')).environment.build).toBeUndefined();
  });

  it('does not say a build is under way when the install that started it has ended', async () => {
    const ended = await install(path.join(root, 'plain'));
    const pack = (await stack.store.packs.get('pyenv'))!;
    await stack.store.packs.updateOne({ id: 'pyenv' }, { set: { environment: { ...pack.environment!, build: { state: 'building', execution: ended.id, at: new Date().toISOString() } } } });
    expect((await environment('pyenv')).environment.build).toBeUndefined();
  });
});
