import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { st2Missing, st2User, type St2Result } from './st2-cli.ts';

/**
 * The real `st2` CLI (st2client 3.9.0 from PyPI) against `packrun up` in another process, as a
 * StackStorm user would point it: each URL form st2's docs give, API keys, tokens from
 * `st2 auth` / `st2 login` with an API key as the password. Only what this slice serves is here
 * (whoami, auth, login, key get/delete, action get, pack list); docs/stackstorm-compatibility.md
 * lists the rest.
 */
if (st2Missing) console.log(`skipping the st2 CLI tests: ${st2Missing}`);

let home: PackrunHome;
let server: PackrunProcess;
let base: string;
let adminKey: string;
let viewerKey: string;
let callApi: Awaited<ReturnType<typeof apiAt>>['call'];
/** The st2 users' HOME folders. */
const users = mkdtempSync(path.join(os.tmpdir(), 'packrun-st2-users-'));

const out = (result: St2Result) => `${result.stdout}${result.stderr}`;

beforeAll(async () => {
  if (st2Missing) return;
  home = await homeWithPacks(['core', '../test/workflows/packs/wftest'], { PACKRUN_API_PORT: String(await freePort()) });
  server = startPackrun(['up'], home.env);
  await server.waitForOutput(/packrun is up/);
  base = `http://127.0.0.1:${home.env['PACKRUN_API_PORT']}`;
  const api = await apiAt(base, home.home);
  adminKey = api.key;
  expect((await api.call('PUT', '/api/v1/keys/greeting', { value: 'hello from packrun' })).status).toBe(200);
  const viewer = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user: 'viewer', role: 'observer' });
  viewerKey = viewer.body.key;
  callApi = api.call;
}, 120_000);

afterAll(async () => {
  await rm(users, { recursive: true, force: true });
  if (!server) return;
  server.signal('SIGTERM');
  await server.exited;
  await rm(home.home, { recursive: true, force: true });
});

describe.skipIf(st2Missing !== undefined)('the st2 CLI against packrun up', () => {
  it('says who it is with an API key under every API URL form st2 documents (/v1 as st2api, /api as behind nginx, /api/v1)', async () => {
    for (const api of [`${base}/v1`, `${base}/api`, `${base}/api/v1`]) {
      const result = await st2User(users, { api }).run(['whoami'], { ST2_API_KEY: adminKey });
      expect(result.code, out(result)).toBe(0);
      expect(result.stdout).toContain('Currently logged in as "admin".');
      expect(result.stdout).toContain('Authentication method: API key');
      expect(result.stdout).toContain(' - Roles: system_admin');
    }
  });

  it('gets a token with `st2 auth <user> -p <API key>` (both auth URL forms) and works with it: whoami, pack list, action get, key get', async () => {
    for (const auth of [`${base}/auth`, `${base}/auth/v1`]) {
      const user = st2User(users, { api: `${base}/api`, auth });
      const minted = await user.run(['auth', 'admin', '-p', adminKey, '-l', '600', '--json']);
      expect(minted.code, out(minted)).toBe(0);
      const token = JSON.parse(minted.stdout) as { user: string; token: string; expiry: string };
      expect(token.user).toBe('admin');
      expect(Date.parse(token.expiry) - Date.now()).toBeLessThanOrEqual(600_000);
      const withToken = { ST2_AUTH_TOKEN: token.token };

      const whoami = await user.run(['whoami'], withToken);
      expect(whoami.stdout).toContain('Authentication method: authentication token');
      expect(whoami.stdout).toContain(`Authentication token expire time: ${token.expiry.slice(0, 19)}Z`);
      const packs = await user.run(['pack', 'list', '--json'], withToken);
      expect(packs.code, out(packs)).toBe(0);
      expect((JSON.parse(packs.stdout) as Array<{ ref: string }>).map((pack) => pack.ref)).toContain('core');
      const action = await user.run(['action', 'get', 'core.local', '--json'], withToken);
      expect(action.code, out(action)).toBe(0);
      expect(JSON.parse(action.stdout)).toMatchObject({ ref: 'core.local', pack: 'core' });
      const key = await user.run(['key', 'get', 'greeting', '--json'], withToken);
      expect(key.code, out(key)).toBe(0);
      expect(JSON.parse(key.stdout)).toMatchObject({ name: 'greeting', value: 'hello from packrun' });
    }
  });

  it('logs in with `st2 login <user> -p <API key>`: the token is cached and used, the key is not written to the config', async () => {
    const user = st2User(users, { api: `${base}/v1`, auth: `${base}/auth` });
    const login = await user.run(['login', 'admin', '-p', adminKey]);
    expect(login.code, out(login)).toBe(0);
    expect(login.stdout).toContain('Logged in as admin');
    expect(readFileSync(user.config, 'utf8')).not.toContain(adminKey);
    const whoami = await user.run(['whoami']);
    expect(whoami.stdout).toContain('Currently logged in as "admin".');
    expect(whoami.stdout).toContain('Authentication method: authentication token');
  });

  it('prints Packrun\'s reason when a token is refused: another user than the key\'s, a password that is no key, a ttl over the cap', async () => {
    const user = st2User(users, { api: `${base}/v1`, auth: `${base}/auth` });
    const cases: Array<[string[], string]> = [
      [['auth', 'bob', '-p', adminKey], 'MESSAGE: the API key belongs to user "admin", not "bob"'],
      [['auth', 'admin', '-p', 'Ch@ngeMe'], 'MESSAGE: the password given is not a valid API key: Packrun has no user/password login'],
      [['auth', 'admin', '-p', adminKey, '-l', '86401'], 'MESSAGE: TTL specified 86401 is greater than max allowed 86400'],
    ];
    for (const [args, message] of cases) {
      const result = await user.run(args);
      expect(result.code, out(result)).not.toBe(0);
      expect(out(result)).toContain(message);
    }
  });

  it('lets an observer\'s token read a key but not delete it', async () => {
    const user = st2User(users, { api: `${base}/api/v1`, auth: `${base}/auth` });
    const minted = await user.run(['auth', 'viewer', '-p', viewerKey, '-t']);
    expect(minted.code, out(minted)).toBe(0);
    const withToken = { ST2_AUTH_TOKEN: minted.stdout.trim() };
    expect((await user.run(['whoami'], withToken)).stdout).toContain(' - Roles: observer');
    expect((await user.run(['key', 'get', 'greeting'], withToken)).stdout).toContain('hello from packrun');
    const removal = await user.run(['key', 'delete', 'greeting'], withToken);
    expect(out(removal)).toContain('a key with role observer may not');
    const still = await user.run(['key', 'get', 'greeting', '--json'], { ST2_API_KEY: adminKey });
    expect(JSON.parse(still.stdout)).toMatchObject({ value: 'hello from packrun' });
  });
});

describe.skipIf(st2Missing !== undefined)('the st2 CLI runs and follows executions against packrun up', () => {
  const admin = (): ReturnType<typeof st2User> => st2User(users, { api: `${base}/api`, auth: `${base}/auth`, stream: `${base}/stream` });
  const asAdmin = (user: ReturnType<typeof st2User>, args: string[]) => user.run(args, { ST2_API_KEY: adminKey });
  /** The id `st2 run --async` prints in its hint (`st2 execution get <id>`). */
  const idIn = (text: string): string => /execution get ([0-9a-zA-Z]+)/.exec(text)?.[1] ?? '';
  const statusOf = async (id: string): Promise<string> => (await callApi<{ status: string }>('GET', `/api/v1/executions/${id}`)).body.status;

  it('lists the runners (`st2 runner list`) with their parameters as st2 3.9 declares them', async () => {
    const runners = await asAdmin(admin(), ['runner', 'list', '--json']);
    expect(runners.code, out(runners)).toBe(0);
    const names = (JSON.parse(runners.stdout) as Array<{ name: string }>).map((runner) => runner.name);
    expect(names).toEqual(expect.arrayContaining(['local-shell-cmd', 'python-script', 'orquesta', 'action-chain', 'http-request']));
    const one = await asAdmin(admin(), ['runner', 'get', 'local-shell-cmd', '--json']);
    expect(one.code, out(one)).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ name: 'local-shell-cmd', runner_module: 'local_shell_command_runner', runner_parameters: { sudo: { type: 'boolean', default: false } } });
  });

  it('lists and gets actions (`st2 action list --pack`, `st2 action get`) with runner_type', async () => {
    const listed = await asAdmin(admin(), ['action', 'list', '--pack', 'core', '--json']);
    expect(listed.code, out(listed)).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ ref: 'core.local', pack: 'core' })]));
    const one = await asAdmin(admin(), ['action', 'get', 'core.local', '--json']);
    expect(JSON.parse(one.stdout)).toMatchObject({ ref: 'core.local', runner_type: 'local-shell-cmd', uid: 'action:core:local' });
  });

  it('runs an action and waits for it (`st2 run`), reading the runner\'s parameters for its arguments', async () => {
    const run = await asAdmin(admin(), ['run', 'core.local', 'cmd=echo hello from st2', 'timeout=30', '--json']);
    expect(run.code, out(run)).toBe(0);
    const execution = JSON.parse(run.stdout) as { id: string; status: string; result: { stdout: string }; action: { ref: string }; parameters: Record<string, unknown> };
    expect(execution).toMatchObject({ status: 'succeeded', result: { stdout: 'hello from st2' }, action: { ref: 'core.local' }, parameters: { cmd: 'echo hello from st2', timeout: 30 } });
    const shown = await asAdmin(admin(), ['run', 'core.local', 'cmd=echo table']);
    expect(shown.code, out(shown)).toBe(0);
    expect(shown.stdout).toContain('status: succeeded');
    expect(shown.stdout).toContain('table');
    // The context st2client sends (`context: {trace_context: {trace_tag}}`) is the caller's to give.
    const traced = await asAdmin(admin(), ['run', 'core.local', 'cmd=echo traced', '--trace-tag', 'deploy-7', '--json']);
    expect(traced.code, out(traced)).toBe(0);
    const tracedId = (JSON.parse(traced.stdout) as { id: string }).id;
    expect((await callApi<{ context: Record<string, unknown> }>('GET', `/api/v1/executions/${tracedId}`)).body.context).toMatchObject({ trace_context: { trace_tag: 'deploy-7' } });
  });

  it('queues an action (`st2 run --async`), then gets, lists and tails it', async () => {
    const queued = await asAdmin(admin(), ['run', 'core.local', 'cmd=echo before; sleep 2; echo after-tail', '--async']);
    expect(queued.code, out(queued)).toBe(0);
    const id = idIn(queued.stdout);
    expect(id, queued.stdout).not.toBe('');
    const got = await asAdmin(admin(), ['execution', 'get', id, '--json']);
    expect(got.code, out(got)).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ id, action: { ref: 'core.local' } });
    // st2's web_url: the execution's page in the web UI this API serves.
    const linked = await asAdmin(admin(), ['execution', 'get', id, '--attr', 'web_url', '--json']);
    const webUrl = (JSON.parse(linked.stdout) as { web_url: string }).web_url;
    expect(webUrl).toBe(`${base}/executions/${id}`);
    const page = await fetch(webUrl);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const listed = await asAdmin(admin(), ['execution', 'list', '-n', '5', '--json']);
    expect(listed.code, out(listed)).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((item) => item.id)).toContain(id);
    const table = await asAdmin(admin(), ['execution', 'list', '-n', '5', '--action', 'core.local']);
    expect(table.code, out(table)).toBe(0);
    expect(table.stdout).toContain(id);

    // Whether the tail attaches while it runs or just after it ended, it prints the output and the end.
    const tailed = await asAdmin(admin(), ['execution', 'tail', id]);
    expect(tailed.code, out(tailed)).toBe(0);
    expect(tailed.stdout).toContain('after-tail');
    expect(tailed.stdout).toContain(`Execution ${id} has completed (status=succeeded).`);
    // Tailing a completed execution prints its stored output.
    const again = await asAdmin(admin(), ['execution', 'tail', id]);
    expect(again.stdout).toContain('after-tail');
    expect(again.stdout).toContain('has completed (status=succeeded)');
  });

  it('cancels (`st2 execution cancel`, DELETE) and re-runs (`st2 execution re-run`, POST re_run) an execution', async () => {
    const queued = await asAdmin(admin(), ['run', 'core.local', 'cmd=sleep 60', '--async']);
    const id = idIn(queued.stdout);
    await retryUntil(async () => (await statusOf(id)) === 'running', { what: 'the sleeper running' });
    const cancel = await asAdmin(admin(), ['execution', 'cancel', id]);
    expect(cancel.code, out(cancel)).toBe(0);
    expect(cancel.stdout).toContain(id);
    await retryUntil(async () => (await statusOf(id)) === 'canceled', { what: 'the sleeper canceled' });

    const first = JSON.parse((await asAdmin(admin(), ['run', 'core.local', 'cmd=echo once', '--json'])).stdout) as { id: string };
    const rerun = await asAdmin(admin(), ['execution', 're-run', first.id, '--json']);
    expect(rerun.code, out(rerun)).toBe(0);
    const second = JSON.parse(rerun.stdout) as { id: string; status: string; context: Record<string, unknown>; result: { stdout: string } };
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ status: 'succeeded', result: { stdout: 'once' } });
    expect((await callApi<{ context: Record<string, unknown> }>('GET', `/api/v1/executions/${second.id}`)).body.context).toMatchObject({ 're-run': { ref: first.id } });
  });

  it('pauses and resumes a workflow (`st2 execution pause` / `resume`, PUT with status)', async () => {
    // The chain's task waits while the file exists: /bin/sh always does, so it waits until canceled.
    const flag = '/bin/sh';
    const started = await asAdmin(admin(), ['run', 'wftest.wait_for_file', `tempfile=${flag}`, '--async']);
    expect(started.code, out(started)).toBe(0);
    const id = idIn(started.stdout);
    await retryUntil(async () => (await statusOf(id)) === 'running', { what: 'the workflow running' });
    const pause = await asAdmin(admin(), ['execution', 'pause', id, '--json']);
    expect(pause.code, out(pause)).toBe(0);
    // st2 prints the execution and then its tasks: the first document is the workflow's.
    expect(pause.stdout).toContain(`"id": "${id}"`);
    expect(pause.stdout).toContain('"status": "pausing"');
    // Its task still runs, so it stays pausing; a resume takes it back to running.
    const resume = await asAdmin(admin(), ['execution', 'resume', id, '--json']);
    expect(resume.code, out(resume)).toBe(0);
    expect(resume.stdout).toContain('"status": "resuming"');
    await retryUntil(async () => (await statusOf(id)) === 'running', { what: 'the workflow running again' });
    // A workflow's cancel waits for its running task, which here never ends by itself: canceling.
    expect((await asAdmin(admin(), ['execution', 'cancel', id])).code).toBe(0);
    expect(['canceling', 'canceled']).toContain(await statusOf(id));
  });

  it("refuses an observer's run, cancel, re-run and pause, and a run as another user by a non-admin, with Packrun's reason", async () => {
    const viewer = st2User(users, { api: `${base}/api` });
    const done = JSON.parse((await asAdmin(admin(), ['run', 'core.local', 'cmd=true', '--json'])).stdout) as { id: string };
    for (const args of [['run', 'core.local', 'cmd=touch /tmp/pwned'], ['execution', 'cancel', done.id], ['execution', 're-run', done.id], ['execution', 'pause', done.id]]) {
      const refused = await viewer.run(args, { ST2_API_KEY: viewerKey });
      expect(out(refused), args.join(' ')).toContain('a key with role observer may not');
    }
    const operatorKey = (await callApi<{ key: string }>('POST', '/api/v1/apikeys', { user: 'ops', role: 'operator' })).body.key;
    const impersonating = await viewer.run(['run', 'core.local', 'cmd=true', '-u', 'admin'], { ST2_API_KEY: operatorKey });
    expect(out(impersonating)).toContain('may not run an action as another user');
    const asOther = await asAdmin(admin(), ['run', 'core.local', 'cmd=true', '-u', 'someone', '--json']);
    expect(asOther.code, out(asOther)).toBe(0);
    expect(JSON.parse(asOther.stdout)).toMatchObject({ status: 'succeeded', context: { user: 'someone' } });
  });
});
