import { stat } from 'node:fs/promises';
import type { St2Execution } from '@packrun/core';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { homeWithPacks, repoRoot, type PackrunHome } from '../runner/fixtures.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from './packrun-process.ts';

let home: PackrunHome;
let env: Record<string, string>;
const running: PackrunProcess[] = [];

beforeAll(async () => {
  home = await homeWithPacks(['core']);
  const port = await freePort();
  env = { ...home.env, PACKRUN_API_PORT: String(port), PACKRUN_API_URL: `http://127.0.0.1:${port}`, PACKRUN_RUNNER_HEARTBEAT: '1' };
});

// A test that failed half-way leaves its server up, holding the store: the next one needs it gone.
afterEach(async () => {
  for (const server of running.splice(0)) {
    server.signal('SIGKILL');
    await server.exited;
  }
});

afterAll(async () => {
  for (const process of running) process.signal('SIGKILL');
});

async function up(): Promise<PackrunProcess> {
  const server = startPackrun(['up'], env);
  running.push(server);
  await server.waitForOutput(/packrun is up/);
  return server;
}

async function stop(server: PackrunProcess): Promise<void> {
  server.signal('SIGTERM');
  expect(await server.exited).toBe(0);
}

/** The real `packrun` CLI against the running server. */
const cli = (args: string[]) => runPackrunCli(args, env);

describe('packrun up', () => {
  it('writes the CLI key 0600 and serves the CLI: run through the API, execution list, key set/get', async () => {
    const server = await up();
    const keyFile = path.join(home.home, 'secrets', 'cli-api-key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const api = await apiAt(env['PACKRUN_API_URL']!, home.home);

    expect((await api.call('GET', '/api/v1/executions', undefined, {})).status).toBe(401);
    const bad = await api.call<{ message: string }>('POST', '/api/v1/executions', { action: 'core.echo', parameters: [] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('body.parameters');

    const run = await cli(['run', 'core.echo', 'message=through the server', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { id: string; status: string };
    expect(document.status).toBe('succeeded');
    // It ran on the server: the API knows it.
    expect((await api.call<St2Execution>('GET', `/api/v1/executions/${document.id}`)).body.status).toBe('succeeded');

    const list = await cli(['execution', 'list', '--action', 'core.echo', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ total: 1, items: [{ id: document.id }] });

    const install = await cli(['pack', 'install', path.join(repoRoot, 'test/api/fixtures/lateinstall')]);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('installed lateinstall 1.2.3');
    expect(install.stderr).toMatch(/installing on the server/);
    expect(install.stderr).toMatch(/lateinstall/);
    const queued = await cli(['run', 'lateinstall.hello', '--async']);
    expect(queued.code, queued.stderr).toBe(0);
    const tail = await cli(['execution', 'tail', queued.stdout.trim()]);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stderr).toContain('succeeded');

    const sleeper = (await cli(['run', 'core.local', 'cmd=sleep 60', '--async'])).stdout.trim();
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${sleeper}`)).body.status === 'running', {
      what: 'sleeper running',
    });
    const canceled = await cli(['execution', 'cancel', sleeper]);
    expect(canceled.code, canceled.stderr).toBe(0);
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${sleeper}`)).body.status === 'canceled', {
      what: 'sleeper canceled',
    });
    const rerun = await cli(['execution', 'rerun', document.id]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('through the server');
    // Followed only after it completed, an execution still shows its whole output.
    const done = (await cli(['run', 'core.echo', 'message=already done', '--async'])).stdout.trim();
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${done}`)).body.status === 'succeeded', { what: 'the echo done' });
    const late = await cli(['execution', 'tail', done]);
    expect(late.code, late.stderr).toBe(0);
    expect(late.stdout).toContain('already done');

    expect((await cli(['key', 'set', 'db_password', 'hunter2', '--secret'])).code).toBe(0);
    expect((await cli(['key', 'get', 'db_password'])).stdout.trim()).toBe('********');
    expect((await cli(['key', 'get', 'db_password', '--decrypt'])).stdout.trim()).toBe('hunter2');
    await stop(server);
  }, 120_000);

  it('keeps execution history, packs and keys across a stop and start', async () => {
    const first = await up();
    let api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    const created = await api.call<St2Execution>('POST', '/api/v1/executions', { action: 'core.echo', parameters: { message: 'kept' } });
    expect(created.status).toBe(201);
    await retryUntil(async () => (await api.call<St2Execution>('GET', `/api/v1/executions/${created.body.id}`)).body.status === 'succeeded', {
      what: 'execution succeeded',
    });
    expect((await api.call('PUT', '/api/v1/keys/kept_key', { value: 'still here' })).status).toBe(200);
    await stop(first);

    await up();
    api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    const again = await api.call<St2Execution>('GET', `/api/v1/executions/${created.body.id}`);
    expect(again.body).toMatchObject({ status: 'succeeded', parameters: { message: 'kept' } });
    expect(String(again.body.result?.['stdout'])).toContain('kept');
    expect((await api.call<Array<{ ref: string }>>('GET', '/api/v1/packs')).body.map((pack) => pack.ref)).toContain('core');
    expect((await api.call<{ value: string }>('GET', '/api/v1/keys/kept_key')).body.value).toBe('still here');
  }, 120_000);
});
