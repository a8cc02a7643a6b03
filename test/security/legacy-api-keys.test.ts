import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, hashApiKey, newId, nowIso, openEmbeddedStore } from '@packrun/core';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * Keys stored before keys had roles were all administrators. The upgrade keeps them working
 * without making them stronger than admin (only the CLI key `packrun up` wrote, the owner's,
 * becomes system_admin), and says once, in the log, which key got which role.
 */
let home: PackrunHome;
let env: Record<string, string>;
const running: PackrunProcess[] = [];
const cliKey = 'pk_legacy-cli-key';
const runnerKey = 'pk_legacy-runner-key';
let runnerKeyId: string;

beforeAll(async () => {
  home = await homeWithPacks(['core']);
  const port = await freePort();
  env = { ...home.env, PACKRUN_API_PORT: String(port), PACKRUN_API_URL: `http://127.0.0.1:${port}`, PACKRUN_LOG_LEVEL: 'warn' };
  const store = await openEmbeddedStore({ dir: home.paths.store, logger: createLogger({ level: 'silent' }) });
  runnerKeyId = newId();
  await store.apiKeys.insert({ id: newId(), keyHash: hashApiKey(cliKey), user: 'admin', enabled: true, createdAt: nowIso(), description: 'CLI key written by packrun up' });
  await store.apiKeys.insert({ id: runnerKeyId, keyHash: hashApiKey(runnerKey), user: 'runner-1', enabled: true, createdAt: nowIso() });
  await store.close();
  await mkdir(path.join(home.home, 'secrets'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(home.home, 'secrets', 'cli-api-key'), `${cliKey}\n`, { mode: 0o600 });
});

afterAll(async () => {
  for (const process of running) process.signal('SIGKILL');
});

async function startApi(): Promise<PackrunProcess> {
  const server = startPackrun(['api'], env);
  running.push(server);
  await server.waitForOutput(/packrun api listening/);
  return server;
}

describe('API keys stored without a role', () => {
  it('become admin (the CLI key system_admin), logged once, and keep working without escalating', async () => {
    const first = await startApi();
    const api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    const asRunner = { 'x-api-key': runnerKey };

    expect((await api.call<{ role: string }>('GET', '/api/v1/whoami')).body.role).toBe('system_admin');
    expect((await api.call<{ role: string }>('GET', '/api/v1/whoami', undefined, asRunner)).body.role).toBe('admin');
    expect((await api.call('GET', '/api/v1/executions', undefined, asRunner)).status).toBe(200);
    expect((await api.call('POST', '/api/v1/apikeys', { user: 'x', role: 'admin' }, asRunner)).status).toBe(403);
    expect((await api.call('POST', '/api/v1/apikeys', { user: 'x', role: 'runner' }, asRunner)).status).toBe(201);

    const log = first.output();
    expect(log.match(/CLI API key stored without a role now has role system_admin/g)).toHaveLength(1);
    expect(log.match(/API key stored without a role now has role admin/g)).toHaveLength(1);
    expect(log).toContain(runnerKeyId);

    // `packrun api-key list` shows each key's role.
    const list = await runPackrunCli(['api-key', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${runnerKeyId}\\s+runner-1\\s+admin\\s+enabled`));
    expect(list.stdout).toMatch(/\s+admin\s+system_admin\s+enabled/);

    first.signal('SIGTERM');
    await first.exited;
    const second = await startApi();
    expect(second.output()).not.toMatch(/stored without a role/);
  }, 120_000);

  // Against the API the test before left running.
  it('`packrun api-key create` makes an observer key unless a role is given', async () => {
    const plain = await runPackrunCli(['api-key', 'create', '--user', 'watcher'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain('(role observer)');
    const runner = await runPackrunCli(['api-key', 'create', '--user', 'runner-2', '--role', 'runner'], env);
    expect(runner.stderr).toContain('(role runner)');
    const api = await apiAt(env['PACKRUN_API_URL']!, home.home);
    const whoami = await api.call<{ role: string; user: string }>('GET', '/api/v1/whoami', undefined, { 'x-api-key': runner.stdout.trim() });
    expect(whoami.body).toMatchObject({ role: 'runner', user: 'runner-2' });
    const wrong = await runPackrunCli(['api-key', 'create', '--role', 'root'], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('root');
  }, 60_000);
});
