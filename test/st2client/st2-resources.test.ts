import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';
import { st2Missing, st2User, type St2Result } from './st2-cli.ts';

/**
 * The real `st2` CLI (st2client 3.9.0 from PyPI) against `packrun up` in another process, for the
 * resources beside executions: datastore keys, packs, rules, rule enforcements, triggers, trigger
 * instances, sensors, API keys, inquiries and webhooks. Each command is run as a StackStorm user
 * would, with an API key of the role it needs (and one it lacks, where the refusal matters).
 */
if (st2Missing) console.log(`skipping the st2 CLI tests: ${st2Missing}`);

let home: PackrunHome;
let server: PackrunProcess;
let base: string;
let api: Awaited<ReturnType<typeof apiAt>>;
const keys: Record<'admin' | 'olga' | 'otto' | 'viewer', string> = { admin: '', olga: '', otto: '', viewer: '' };
/** The st2 users' HOME folders. */
const users = mkdtempSync(path.join(os.tmpdir(), 'packrun-st2-resources-'));

const out = (result: St2Result) => `${result.stdout}${result.stderr}`;

/** `st2 <args>` as `who` (by API key), expected to succeed; its JSON output parsed when --json is among the args. */
async function st2(who: keyof typeof keys, args: string[]): Promise<St2Result & { json: unknown }> {
  const result = await st2User(users, { api: `${base}/api` }).run(args, { ST2_API_KEY: keys[who] });
  expect(result.code, `st2 ${args.join(' ')}: ${out(result)}`).toBe(0);
  return { ...result, json: args.includes('--json') || args.includes('-j') ? JSON.parse(result.stdout) : undefined };
}

/** `st2 <args>` as `who`, expected to fail; what it printed. */
async function st2Refused(who: keyof typeof keys, args: string[]): Promise<string> {
  const result = await st2User(users, { api: `${base}/api` }).run(args, { ST2_API_KEY: keys[who] });
  expect(result.code, `st2 ${args.join(' ')} should fail: ${out(result)}`).not.toBe(0);
  return out(result);
}

beforeAll(async () => {
  if (st2Missing) return;
  home = await homeWithPacks(['core'], { PACKRUN_API_PORT: String(await freePort()) });
  server = startPackrun(['up'], home.env);
  await server.waitForOutput(/packrun is up/);
  base = `http://127.0.0.1:${home.env['PACKRUN_API_PORT']}`;
  api = await apiAt(base, home.home);
  keys.admin = api.key;
  for (const [user, role] of [['olga', 'operator'], ['otto', 'operator'], ['viewer', 'observer']] as const) {
    const created = await api.call<{ key: string }>('POST', '/api/v1/apikeys', { user, role });
    expect(created.status).toBe(201);
    keys[user] = created.body.key;
  }
}, 120_000);

afterAll(async () => {
  await rm(users, { recursive: true, force: true });
  if (!server) return;
  server.signal('SIGTERM');
  await server.exited;
  await rm(home.home, { recursive: true, force: true });
});

describe.skipIf(st2Missing !== undefined)('st2 key', () => {
  it('sets, gets, lists and deletes a system key, with st2\'s KeyValuePair fields', async () => {
    const set = await st2('admin', ['key', 'set', 'region', 'eu-west-1', '--json']);
    // st2 prints only the fields of its table, in JSON too.
    expect(set.json).toEqual({ name: 'region', value: 'eu-west-1', scope: 'st2kv.system' });
    expect((await st2('admin', ['key', 'get', 'region', '--json'])).json).toEqual({ name: 'region', value: 'eu-west-1', scope: 'st2kv.system', secret: false, encrypted: false });
    const table = await st2('viewer', ['key', 'list']);
    expect(table.stdout).toContain('region');
    expect(table.stdout).toContain('st2kv.system');
    await st2('admin', ['key', 'delete', 'region']);
    expect(await st2Refused('admin', ['key', 'get', 'region'])).toContain('not found');
  });

  it('encrypts with --encrypt, shows ******** unless --decrypt, and sets a ttl', async () => {
    await st2('admin', ['key', 'set', 'db_password', 'hunter2', '--encrypt']);
    expect((await st2('admin', ['key', 'get', 'db_password', '--json'])).json).toMatchObject({ value: '********', secret: true, encrypted: true });
    expect((await st2('admin', ['key', 'get', 'db_password', '--decrypt', '--json'])).json).toMatchObject({ value: 'hunter2', secret: true, encrypted: false });
    const listed = (await st2('admin', ['key', 'list', '--decrypt', '--json'])).json as Array<{ name: string; value: string }>;
    expect(listed.find((pair) => pair.name === 'db_password')?.value).toBe('hunter2');

    const before = Date.now();
    const ttl = (await st2('admin', ['key', 'set', 'session', 'abc', '--ttl', '600', '--json'])).json as { expire_timestamp: string };
    expect(Date.parse(ttl.expire_timestamp)).toBeGreaterThanOrEqual(before + 599_000);
    expect(Date.parse(ttl.expire_timestamp)).toBeLessThanOrEqual(Date.now() + 601_000);
  });

  it('keeps user-scoped keys per user: --scope user, --scope all, and an admin\'s --user', async () => {
    await st2('olga', ['key', 'set', 'theme', 'dark', '--scope', 'user']);
    await st2('otto', ['key', 'set', 'theme', 'light', '--scope', 'user']);
    await st2('admin', ['key', 'set', 'shared', 'yes']);
    expect((await st2('olga', ['key', 'get', 'theme', '--scope', 'user', '--json'])).json).toMatchObject({ value: 'dark', scope: 'st2kv.user' });
    const all = (await st2('olga', ['key', 'list', '--scope', 'all', '--json'])).json as Array<{ name: string; value: string; scope: string; user?: string }>;
    expect(all.filter((pair) => pair.name === 'theme')).toEqual([expect.objectContaining({ value: 'dark', user: 'olga' })]);
    expect(all.map((pair) => pair.name)).toContain('shared');
    const ottos = (await st2('admin', ['key', 'list', '--scope', 'user', '--user', 'otto', '--json'])).json as Array<{ name: string; value: string }>;
    expect(ottos).toEqual([expect.objectContaining({ name: 'theme', value: 'light', user: 'otto' })]);
    await st2('olga', ['key', 'delete', 'theme', '--scope', 'user']);
    expect((await st2('otto', ['key', 'get', 'theme', '--scope', 'user', '--json'])).json).toMatchObject({ value: 'light' });
  });

  it('refuses what a role may not: an observer setting, an operator writing system keys', async () => {
    expect(await st2Refused('viewer', ['key', 'set', 'nope', 'x'])).toContain('a key with role observer may not');
    expect(await st2Refused('olga', ['key', 'set', 'nope', 'x'])).toContain('write system-scoped keys');
  });
});

describe.skipIf(st2Missing !== undefined)('st2 apikey', () => {
  it('creates with st2\'s {user, metadata}, lists, gets by id and by key, disables, enables and deletes', async () => {
    const created = (await st2('admin', ['apikey', 'create', '-u', 'carol', '-m', '{"purpose": "ci"}', '--json'])).json as { id: string; key: string; user: string; metadata: unknown; key_hash: string };
    expect(created).toMatchObject({ user: 'carol', metadata: { purpose: 'ci' }, enabled: true, key_hash: '********' });
    const onlyKey = (await st2('admin', ['apikey', 'create', '-k'])).stdout.trim();
    expect(onlyKey).toMatch(/^pk_/);

    const listed = (await st2('admin', ['apikey', 'list', '--json'])).json as Array<{ id: string; user: string }>;
    expect(listed).toContainEqual(expect.objectContaining({ id: created.id, user: 'carol', metadata: { purpose: 'ci' } }));
    expect((await st2('admin', ['apikey', 'get', created.id, '--json'])).json).toMatchObject({ id: created.id, user: 'carol' });
    expect((await st2('admin', ['apikey', 'get', created.key, '--json'])).json).toMatchObject({ id: created.id, user: 'carol' });

    await st2('admin', ['apikey', 'disable', created.id]);
    const refused = await st2User(users, { api: `${base}/v1` }).run(['whoami'], { ST2_API_KEY: created.key });
    expect(out(refused)).toContain('Unable to retrieve currently logged-in user');
    expect((await st2('admin', ['apikey', 'enable', created.id, '--json'])).json).toMatchObject({ enabled: true });
    expect((await st2User(users, { api: `${base}/v1` }).run(['whoami'], { ST2_API_KEY: created.key })).stdout).toContain('Currently logged in as "carol"');

    await st2('admin', ['apikey', 'delete', created.id]);
    expect(await st2Refused('admin', ['apikey', 'get', created.id])).toContain('not found');
  });

  it('shows a non-admin its own keys only, and refuses it the rest', async () => {
    const own = (await st2('olga', ['apikey', 'list', '--json'])).json as Array<{ user: string }>;
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((key) => key.user))).toEqual(new Set(['olga']));
    expect(await st2Refused('viewer', ['apikey', 'create', '-u', 'viewer'])).toContain('a key with role observer may not');
  });
});
