import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * `--json` prints one shape per resource: the JSON the API answers for it (docs/cli.md, "JSON
 * output"). Real `packrun up`, the CLI in its own processes; each document is compared with what
 * the API itself answers for the same resource afterwards (or before, for a delete).
 */
let home: PackrunHome;
let up: PackrunProcess;
let api: Awaited<ReturnType<typeof apiAt>>;
let files: string;

async function json(args: string[]): Promise<unknown> {
  const result = await runPackrunCli([...args, '--json'], home.env);
  expect(result.code, `packrun ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as unknown;
}

beforeAll(async () => {
  home = await homeWithPacks(['core']);
  files = await mkdtemp(path.join(os.tmpdir(), 'packrun-json-'));
  const port = await freePort();
  up = startPackrun(['up'], { ...home.env, PACKRUN_API_PORT: String(port) });
  await up.waitForOutput(/packrun is up/);
  api = await apiAt(`http://127.0.0.1:${port}`, home.home);
});

afterAll(async () => {
  up.signal('SIGTERM');
  await up.exited;
  await rm(home.home, { recursive: true, force: true });
  await rm(files, { recursive: true, force: true });
});

describe('--json against packrun up', () => {
  it('prints datastore keys as st2 KeyValuePairs, before and after set and delete', async () => {
    const set = await json(['key', 'set', 'conv_secret', 'hunter2', '--secret']);
    expect(set).toEqual((await api.call('GET', '/api/v1/keys/conv_secret')).body);
    expect(set).toMatchObject({ name: 'conv_secret', value: '********', secret: true, encrypted: true, scope: 'st2kv.system' });
    expect(await json(['key', 'get', 'conv_secret'])).toEqual(set);
    expect(await json(['key', 'list', '--prefix', 'conv_'])).toEqual([set]);
    expect(await json(['key', 'delete', 'conv_secret'])).toEqual(set);
    expect((await api.call('GET', '/api/v1/keys/conv_secret')).status).toBe(404);
  });

  it('prints executions as st2 executions, and tail as JSON lines ending with the execution', async () => {
    // Queued: the execution as POST /api/v1/executions answered it.
    const queued = (await json(['run', 'core.local', 'cmd=echo out; echo err >&2', '--async'])) as Record<string, unknown>;
    expect(queued).toMatchObject({ action: { ref: 'core.local' }, parameters: { cmd: 'echo out; echo err >&2' }, start_timestamp: expect.any(String) });
    const id = String(queued['id']);
    const tail = await runPackrunCli(['execution', 'tail', id, '--json'], home.env);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const final = lines.at(-1)!;
    expect(final).toMatchObject({ id, status: 'succeeded', action: { ref: 'core.local' } });
    const events = lines.slice(0, -1);
    expect(events.every((event) => event['execution_id'] === id && (event['output_type'] === 'stdout' || event['output_type'] === 'stderr'))).toBe(true);
    // Live output keeps its last newline; stored output has lost it (as st2's), whichever tail saw.
    expect(events.filter((event) => event['output_type'] === 'stdout').map((event) => event['data']).join('')).toMatch(/^out\n?$/);
    expect(events.filter((event) => event['output_type'] === 'stderr').map((event) => event['data']).join('')).toMatch(/^err\n?$/);
    const stored = (await api.call('GET', `/api/v1/executions/${id}`)).body;
    expect(final).toEqual(stored);
    expect(await json(['execution', 'get', id])).toEqual(stored);
    const listed = (await json(['execution', 'list', '--action', 'core.local'])) as { total: number; items: Array<{ id: string }> };
    expect(listed.items.map((item) => item.id)).toContain(id);

    // Acting on an execution prints it after the action.
    const sleeper = (await runPackrunCli(['run', 'core.local', 'cmd=sleep 30', '--async'], home.env)).stdout.trim();
    const canceled = (await json(['execution', 'cancel', sleeper])) as Record<string, unknown>;
    expect(canceled).toMatchObject({ id: sleeper, action: { ref: 'core.local' } });
    expect(['canceling', 'canceled']).toContain(canceled['status']);
    const rerun = (await json(['execution', 'rerun', id, '--async'])) as Record<string, unknown>;
    expect(rerun).toMatchObject({ action: { ref: 'core.local' }, context: { 're-run': { ref: id } } });
    expect((await api.call('GET', `/api/v1/executions/${String(rerun['id'])}`)).body).toMatchObject({ id: rerun['id'], parameters: rerun['parameters'], start_timestamp: rerun['start_timestamp'] });
  });

  it('prints API keys as st2 ApiKeys, the key itself only when created', async () => {
    const created = (await json(['api-key', 'create', '--user', 'conv', '--role', 'observer'])) as Record<string, unknown>;
    expect(created['key']).toEqual(expect.any(String));
    const { key: _key, ...stored } = created;
    expect((await api.call('GET', `/api/v1/apikeys/${String(created['id'])}`)).body).toEqual(stored);
    const disabled = await json(['api-key', 'disable', String(created['id'])]);
    expect(disabled).toEqual({ ...stored, enabled: false });
    expect(await json(['api-key', 'enable', String(created['id'])])).toEqual(stored);
    expect(await json(['api-key', 'list'])).toEqual(expect.arrayContaining([stored]));
    expect(await json(['api-key', 'delete', String(created['id'])])).toEqual(stored);
    expect((await api.call('GET', `/api/v1/apikeys/${String(created['id'])}`)).status).toBe(404);
  });

  it('prints rules as st2 Rules and a fired trigger as its st2 TriggerInstance', async () => {
    const file = path.join(files, 'rule.yaml');
    await writeFile(file, ['name: on_conv', 'pack: conv', 'enabled: true', 'trigger: {type: core.st2.webhook, parameters: {url: conv}}', 'action: {ref: core.local, parameters: {cmd: "true"}}'].join('\n'));
    const rule = async () => (await api.call('GET', '/api/v1/rules/conv.on_conv')).body as Record<string, unknown>;
    expect(await json(['rule', 'create', file])).toEqual(await rule());
    const disabled = await json(['rule', 'disable', 'conv.on_conv']);
    expect(disabled).toEqual(await rule());
    expect(disabled).toMatchObject({ enabled: false });
    const enabled = await json(['rule', 'enable', 'conv.on_conv']);
    expect(enabled).toEqual(await rule());
    expect(enabled).toMatchObject({ enabled: true });
    expect(await json(['rule', 'list', '--pack', 'conv'])).toEqual([enabled]);
    const stored = await rule();

    const fired = (await json(['trigger', 'fire', 'core.st2.webhook', '{"headers": {}, "body": {"n": 1}}'])) as Record<string, unknown>;
    expect(fired).toMatchObject({ trigger: 'core.st2.webhook', payload: { body: { n: 1 } } });
    expect(fired).toEqual((await api.call('GET', `/api/v1/triggerinstances/${String(fired['id'])}`)).body);

    expect(await json(['rule', 'delete', 'conv.on_conv'])).toEqual(stored);
    expect((await api.call('GET', '/api/v1/rules/conv.on_conv')).status).toBe(404);
  });

  it('prints the sandbox report as one document', async () => {
    expect(await json(['doctor'])).toMatchObject({ layers: expect.any(Array), limits: { defaults: expect.any(Object), caps: expect.any(Object) } });
  });
});
