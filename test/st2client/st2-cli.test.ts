import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
/** The st2 users' HOME folders. */
const users = mkdtempSync(path.join(os.tmpdir(), 'packrun-st2-users-'));

const out = (result: St2Result) => `${result.stdout}${result.stderr}`;

beforeAll(async () => {
  if (st2Missing) return;
  home = await homeWithPacks(['core'], { PACKRUN_API_PORT: String(await freePort()) });
  server = startPackrun(['up'], home.env);
  await server.waitForOutput(/packrun is up/);
  base = `http://127.0.0.1:${home.env['PACKRUN_API_PORT']}`;
  const api = await apiAt(base, home.home);
  adminKey = api.key;
  expect((await api.call('PUT', '/api/v1/keys/greeting', { value: 'hello from packrun' })).status).toBe(200);
  const viewer = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user: 'viewer', role: 'observer' });
  viewerKey = viewer.body.key;
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
