import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { packEntries, tarGz, writePack as writeInstallerPack } from '../installer/fixtures.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { nodeSensorPack, writePack } from '../sensors/sensor-fixtures.ts';
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
  // A pack index of the operator's (PACKRUN_PACK_INDEX), for `st2 pack install <name>`.
  const index = path.join(users, 'index');
  mkdirSync(path.join(index, 'archives'), { recursive: true });
  writeFileSync(path.join(index, 'archives', 'indexed.tar.gz'), tarGz(packEntries('indexed', { ref: 'indexed', version: '1.2.0' })));
  writeFileSync(path.join(index, 'index.json'), JSON.stringify({ packs: { indexed: { version: '1.2.0', tarball: 'archives/indexed.tar.gz' } } }));
  home = await homeWithPacks(['core'], { PACKRUN_API_PORT: String(await freePort()), PACKRUN_PACK_INDEX: path.join(index, 'index.json') });
  // The sandbox's build and job uids reach the packs and envs through the data folder.
  chmodSync(home.home, 0o711);
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

/** Polls the API until `check` holds (cheaper than a CLI process per try). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  await retryUntil(check, { what, withinMs: 60_000 });
}

describe.skipIf(st2Missing !== undefined)('st2 sensor, trigger, rule, rule-enforcement, trigger-instance, webhook', () => {
  beforeAll(async () => {
    const pack = nodeSensorPack('1.0.0');
    delete pack['sensors/crasher.yaml'];
    delete pack['sensors/crasher.js'];
    const dir = await writePack(pack, mkdtempSync(path.join(users, 'nodesense-')));
    const install = await api.call<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [dir] });
    expect(install.status).toBe(202);
    await until('nodesense installed', async () => (await api.call<{ status: string }>('GET', `/api/v1/executions/${install.body.execution_id}`)).body.status === 'succeeded');
  }, 90_000);

  it('lists, gets, disables and enables a sensor (st2\'s PUT /sensortypes); an observer may only look', async () => {
    const listed = (await st2('viewer', ['sensor', 'list', '--json'])).json as Array<{ ref: string; enabled: boolean }>;
    expect(listed).toContainEqual(expect.objectContaining({ ref: 'nodesense.Emitter', pack: 'nodesense', enabled: true }));
    expect((await st2('viewer', ['sensor', 'get', 'nodesense.Emitter', '--json'])).json).toMatchObject({ ref: 'nodesense.Emitter', entry_point: 'emitter.mjs', trigger_types: expect.arrayContaining(['nodesense.tick']) });
    expect(await st2Refused('viewer', ['sensor', 'disable', 'nodesense.Emitter'])).toContain('a key with role observer may not');
    expect((await st2('olga', ['sensor', 'disable', 'nodesense.Emitter', '--json'])).json).toMatchObject({ enabled: false });
    expect((await st2('olga', ['sensor', 'enable', 'nodesense.Emitter', '--json'])).json).toMatchObject({ enabled: true });
  });

  it('lists trigger types and gets one with st2\'s TriggerType fields', async () => {
    const refs = ((await st2('viewer', ['trigger', 'list', '--json'])).json as Array<{ ref: string }>).map((type) => type.ref);
    expect(refs).toEqual(expect.arrayContaining(['core.st2.webhook', 'nodesense.tick']));
    expect((await st2('viewer', ['trigger', 'get', 'core.st2.webhook', '--json'])).json).toMatchObject({
      ref: 'core.st2.webhook',
      pack: 'core',
      name: 'st2.webhook',
      uid: 'trigger_type:core:st2.webhook',
      parameters_schema: { required: ['url'] },
      payload_schema: { properties: { headers: { type: 'object' } } },
    });
    expect((await st2('viewer', ['trigger', 'get', 'nodesense.tick'])).stdout).toMatch(/\| pack\s+\| nodesense\s+\|/);
    expect(await st2Refused('viewer', ['trigger', 'get', 'nodesense.nosuch'])).toContain('not found');
  });

  it('creates a rule from a file, lists, gets, disables and enables it; its enforcements, trigger instances and webhook show; re-emit fires it again; delete removes it', async () => {
    const file = path.join(users, 'st2res-rule.yaml');
    writeFileSync(file, [
      'name: on_hook',
      'pack: st2res',
      'description: st2 CLI test rule',
      'enabled: true',
      'trigger: {type: core.st2.webhook, parameters: {url: st2res/hook}}',
      'action: {ref: core.noop}',
    ].join('\n'));
    expect((await st2('olga', ['rule', 'create', file, '--json'])).json).toMatchObject({ ref: 'st2res.on_hook', pack: 'st2res', enabled: true, trigger: { type: 'core.st2.webhook' } });
    const rules = (await st2('viewer', ['rule', 'list', '--pack', 'st2res', '--json'])).json as Array<{ ref: string }>;
    expect(rules.map((rule) => rule.ref)).toEqual(['st2res.on_hook']);
    expect((await st2('viewer', ['rule', 'get', 'st2res.on_hook', '--json'])).json).toMatchObject({ ref: 'st2res.on_hook', uid: 'rule:st2res:on_hook', action: { ref: 'core.noop' } });
    expect((await st2('olga', ['rule', 'disable', 'st2res.on_hook', '--json'])).json).toMatchObject({ enabled: false });
    expect((await st2('olga', ['rule', 'enable', 'st2res.on_hook', '--json'])).json).toMatchObject({ enabled: true });

    // st2 webhook list reads each trigger's parameters.url and prints it as `url`.
    const webhooks = (await st2('viewer', ['webhook', 'list', '--json'])).json as Array<{ url: string; type: string }>;
    expect(webhooks).toContainEqual(expect.objectContaining({ url: 'st2res/hook', type: 'core.st2.webhook' }));

    expect((await api.call('POST', '/api/v1/webhooks/st2res/hook', { deploy: 'web' })).status).toBe(202);
    type Enforcement = { id: string; rule: { ref: string }; trigger_instance_id: string; execution_id?: string };
    let enforcements: Enforcement[] = [];
    await until('the enforcement', async () => {
      enforcements = (await api.call<Enforcement[]>('GET', '/api/v1/ruleenforcements?rule_ref=st2res.on_hook')).body;
      return enforcements.length === 1;
    });
    const listed = (await st2('viewer', ['rule-enforcement', 'list', '--rule', 'st2res.on_hook', '--json'])).json as Enforcement[];
    expect(listed).toEqual([expect.objectContaining({ id: enforcements[0]!.id, rule: expect.objectContaining({ ref: 'st2res.on_hook' }) })]);
    expect((await st2('viewer', ['rule-enforcement', 'get', enforcements[0]!.id, '--json'])).json).toMatchObject({ trigger_instance_id: enforcements[0]!.trigger_instance_id });

    // A webhook's instances name its trigger (the rule's core.st2.webhook with its url), as st2's do.
    const fired = (await api.call<{ trigger: string }>('GET', `/api/v1/triggerinstances/${enforcements[0]!.trigger_instance_id}`)).body.trigger;
    const instances = (await st2('viewer', ['trigger-instance', 'list', '--trigger', fired, '--json'])).json as Array<{ id: string; trigger: string; occurrence_time: string }>;
    expect(instances.map((instance) => instance.id)).toContain(enforcements[0]!.trigger_instance_id);
    expect(await st2Refused('viewer', ['trigger-instance', 're-emit', enforcements[0]!.trigger_instance_id])).toContain('a key with role observer may not');
    expect((await st2('olga', ['trigger-instance', 're-emit', enforcements[0]!.trigger_instance_id])).stdout).toContain(`Trigger instance ${enforcements[0]!.trigger_instance_id} succesfully re-sent.`);
    await until('the re-emitted instance enforced', async () => (await api.call<Enforcement[]>('GET', '/api/v1/ruleenforcements?rule_ref=st2res.on_hook')).body.length === 2);

    await st2('olga', ['rule', 'delete', 'st2res.on_hook']);
    expect((await api.call('GET', '/api/v1/rules/st2res.on_hook')).status).toBe(404);
  });
});

describe.skipIf(st2Missing !== undefined)('st2 inquiry', () => {
  it('lists, gets and responds to a pending core.ask', async () => {
    const asked = await api.call<{ id: string }>('POST', '/api/v1/executions', { action: 'core.ask', parameters: { route: 'st2res' } });
    expect(asked.status).toBe(201);
    await until('the inquiry pending', async () => (await api.call('GET', `/api/v1/inquiries/${asked.body.id}`)).status === 200);
    const listed = (await st2('viewer', ['inquiry', 'list', '--json'])).json as Array<{ id: string; route: string }>;
    expect(listed).toContainEqual(expect.objectContaining({ id: asked.body.id, route: 'st2res' }));
    expect((await st2('viewer', ['inquiry', 'get', asked.body.id, '--json'])).json).toMatchObject({ id: asked.body.id, schema: expect.any(Object) });
    expect((await st2('olga', ['inquiry', 'respond', '-r', '{"continue": true}', asked.body.id])).stdout).toContain(`Response accepted for inquiry ${asked.body.id}`);
    await until('the inquiry answered', async () => (await api.call<{ status: string }>('GET', `/api/v1/executions/${asked.body.id}`)).body.status === 'succeeded');
  });
});

describe.skipIf(st2Missing !== undefined)('st2 pack', () => {
  it('lists and gets packs with st2\'s Pack fields', async () => {
    const listed = (await st2('viewer', ['pack', 'list', '--json'])).json as Array<{ ref: string }>;
    expect(listed.map((pack) => pack.ref)).toEqual(expect.arrayContaining(['core']));
    expect((await st2('viewer', ['pack', 'get', 'core', '--json'])).json).toMatchObject({ name: 'core', version: '3.9.0' });
  });

  it('sends st2\'s install body: a source that would escape is refused before anything runs, with the reason', async () => {
    expect(await st2Refused('admin', ['pack', 'install', 'file:///etc'])).toContain('local-repository and transport-helper URLs');
    expect(await st2Refused('admin', ['pack', 'install', 'https://example.invalid/x.git=--upload-pack=touch'])).toContain('starts with "-"');
    expect(await st2Refused('olga', ['pack', 'install', 'core'])).toContain('a key with role operator may not');
  });

  /** `st2 <args>` as the admin, with the stream URL st2's pack commands follow the execution on. */
  const st2Streaming = (args: string[]) => st2User(users, { api: `${base}/api`, stream: `${base}/stream` }).run(args, { ST2_API_KEY: keys.admin });
  /** The stages st2's TaskIndicator printed, each as its last state (`\r` overwrites within a line). */
  const stages = (stdout: string) =>
    stdout
      .split('\n')
      .map((line) => line.split('\r').at(-1)!.replace(/\x1b\[[0-9;]*m/g, '').trim())
      .filter((line) => line.startsWith('['))
      .map((line) => line.replace(/^\[\s*(\w+)\s*\]\s*/, '$1 '));

  it('installs a folder and a name from the index, printing st2\'s install tasks as they run, then removes them', async () => {
    const folder = await writeInstallerPack(mkdtempSync(path.join(users, 'folder-pack-')), { ref: 'st2folder', version: '0.3.0' });
    // The env build's tools (uv, as the sandbox's build uid) look into the folder given.
    chmodSync(users, 0o711);
    chmodSync(folder, 0o755);
    // A Python action: the install builds the pack's virtualenv, so it is still running when the
    // CLI starts following it (one over before then ends the stream at once, without the stages).
    writeFileSync(path.join(folder, 'actions', 'py.yaml'), 'name: py\nrunner_type: python-script\nentry_point: py.py\n');
    writeFileSync(path.join(folder, 'actions', 'py.py'), 'from st2common.runners.base_action import Action\n\n\nclass Py(Action):\n    def run(self):\n        return 1\n');
    const installed = await st2Streaming(['pack', 'install', folder]);
    expect(installed.code, out(installed)).toBe(0);
    expect(stages(installed.stdout)).toEqual([
      'succeeded download_pack',
      'succeeded install_pack_requirements',
      'succeeded get_pack_warnings',
      'succeeded register_pack',
    ]);
    expect(installed.stdout).toMatch(/\| ref\s+\| st2folder\s+\|/);
    expect(installed.stdout).toMatch(/\| version\s+\| 0\.3\.0\s+\|/);
    expect((await st2('viewer', ['action', 'get', 'st2folder.hello', '--json'])).json).toMatchObject({ ref: 'st2folder.hello' });

    const byName = await st2Streaming(['pack', 'install', 'indexed']);
    expect(byName.code, out(byName)).toBe(0);
    expect(stages(byName.stdout)).toContain('succeeded register_pack');
    expect((await st2('viewer', ['pack', 'get', 'indexed', '--json'])).json).toMatchObject({ name: 'indexed', version: '1.2.0' });

    // st2's CLI lists the install's tasks as the execution's children.
    const listed = (await st2('viewer', ['execution', 'list', '--action', 'packs.install', '-n', '1', '--json'])).json as Array<{ id: string }>;
    const children = await api.call<Array<{ parent: string; context: { orquesta: { task_name: string } } }>>('GET', `/api/v1/executions/${listed[0]!.id}/children`);
    expect(children.body.map((child) => [child.parent, child.context.orquesta.task_name])).toContainEqual([listed[0]!.id, 'register_pack']);

    for (const ref of ['st2folder', 'indexed']) {
      const removed = await st2Streaming(['pack', 'remove', ref]);
      expect(removed.code, out(removed)).toBe(0);
      expect(stages(removed.stdout)).toEqual(['succeeded delete packs']);
    }
    const left = (await st2('viewer', ['pack', 'list', '--json'])).json as Array<{ ref: string }>;
    expect(left.map((pack) => pack.ref)).not.toContain('st2folder');
    expect(left.map((pack) => pack.ref)).not.toContain('indexed');
  });

  it('prints a failed install or removal as st2 prints a failed workflow: the error and the failed task, exit 1', async () => {
    const broken = mkdtempSync(path.join(users, 'broken-pack-'));
    writeFileSync(path.join(broken, 'pack.yaml'), 'ref: broken\n');
    const install = await st2Streaming(['pack', 'install', broken]);
    expect(install.code, out(install)).toBe(1);
    expect(install.stdout).toContain('field "name": is required');
    expect(install.stdout).toMatch(/failed.*download_pack.*packs\.download/s);

    const remove = await st2Streaming(['pack', 'remove', 'nosuchpack']);
    expect(remove.code, out(remove)).toBe(1);
    expect(remove.stdout).toContain('pack "nosuchpack" is not installed');
  });
});
