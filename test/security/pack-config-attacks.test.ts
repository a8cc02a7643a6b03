import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@packrun/api';
import { isCompleted, parseYaml, type St2Execution } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { startStack, type ServiceStack } from '../api/harness.ts';

/**
 * The pack config routes under attack: a pack ref that walks out of the configs folder, values
 * that would be YAML code once written, prototype keys, an observer after the secrets, and a
 * template in a value reaching another pack's datastore keys. Each is refused or stays data.
 */
let stack: ServiceStack;
let observerKey: string;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/api/fixtures/configured'] });
  observerKey = (await createApiKey(stack.store, { user: 'watcher', role: 'observer' })).key;
  await stack.keyValues.set('otherpack.Watcher:token', 'OTHER-PACK-SECRET', { scope: 'system', encrypt: true });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('pack config routes under attack', () => {
  it('refuses pack refs that are not a pack name, writing nothing anywhere', async () => {
    for (const ref of ['..%2F..%2Fetc%2Fpasswd', '..', 'core%00', 'a.b', '%2Ftmp%2Fx']) {
      const written = await stack.call('PUT', `/api/v1/configs/${ref}`, { api_url: 'x' });
      expect([400, 404], ref).toContain(written.statusCode);
      expect([400, 404], ref).toContain((await stack.call('GET', `/api/v1/configs/${ref}`)).statusCode);
    }
    expect(await readdir(stack.home.paths.configs).catch(() => [])).toEqual([]);
  });

  it('writes hostile strings as data (YAML tags and anchors come back as sent), and refuses prototype keys at the door', async () => {
    const hostile = { api_url: '!!python/object/apply:os.system ["id"]', auth: { user: '*anchor &x [a, b]', password: '{{ 7 * 7 }}x' } };
    const written = await stack.call('PUT', '/api/v1/configs/configured', hostile);
    expect(written.statusCode, written.body).toBe(200);
    const file = await readFile(`${stack.home.paths.configs}/configured.yaml`, 'utf8');
    const read = parseYaml(file, 'configured.yaml');
    expect(read).toEqual({ ok: true, value: hostile });
    for (const body of ['{"api_url": "x", "__proto__": {"polluted": true}}', '{"api_url": "x", "extra": {"constructor": {"prototype": {"polluted": true}}}}']) {
      const refused = await stack.call('PUT', '/api/v1/configs/configured', body, { 'content-type': 'application/json' });
      expect(refused.statusCode, body).toBe(400);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await readFile(`${stack.home.paths.configs}/configured.yaml`, 'utf8')).toBe(file);
  });

  it("keeps a value's template out of another pack's local keys: written, it renders without them", async () => {
    const written = await stack.call('PUT', '/api/v1/configs/configured', { api_url: "x{{ st2kv.system['otherpack.Watcher:token'] | decrypt_kv }}" });
    expect(written.statusCode).toBe(200);
    expect(written.body).not.toContain('OTHER-PACK-SECRET');
    // The pack's own action gets the config rendered in its pack's scope: the other pack's key is not there.
    const id = (await stack.call('POST', '/api/v1/executions', { action: 'configured.show_config' })).json<St2Execution>().id;
    let record: St2Execution | undefined;
    await retryUntil(async () => isCompleted((record = (await stack.call('GET', `/api/v1/executions/${id}`)).json<St2Execution>()).status), { withinMs: 60_000, what: 'show_config to complete' });
    expect(record!.status).toBe('succeeded');
    expect(record!.result?.['result']).toMatchObject({ api_url: 'x' });
    expect(JSON.stringify(record)).not.toContain('OTHER-PACK-SECRET');
  });

  it('shows an observer every config with its secrets masked, however it asks', async () => {
    await stack.call('PUT', '/api/v1/configs/configured', { api_url: 'https://svc.example', token: 'tok-OBSERVED', auth: { password: 'pw-OBSERVED' } });
    for (const url of ['/api/v1/configs', '/api/v1/configs/configured', '/api/v1/configs/configured?show_secrets=true', '/api/v1/configs?show_secrets=True']) {
      const shown = await stack.call('GET', url, undefined, { 'x-api-key': observerKey });
      expect(shown.statusCode, url).toBe(200);
      expect(shown.body, url).not.toContain('OBSERVED');
    }
  });
});
