import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack } from '../web/browser-stack.ts';
import { installSensorPack, sensorState } from '../web/sensor-pack.ts';

/**
 * What the web UI's datastore, sensors, triggers and API-key views open up, attacked in a real
 * browser against a real `packrun up`: markup in a key's value, a sensor's stderr, a trigger's
 * payload and a key's description shown as text; secrets never in the page (nor asked of the API
 * decrypted) until a role that may asks for one; a non-admin neither offered the API-key view nor
 * let through by the API; an admin's refused change shown with the server's reason.
 */
let stack: BrowserStack;
let packFolder: string;
let operatorKey: string;
let adminKey: string;

const img = '<img src=x onerror="alert(1)">';
const script = '<script>alert(2)</script>';

describe.skipIf(!haveChromium || !builtWebUi)('the web UI datastore, sensors, triggers and API-key views under attack (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-ui-admin-attacks');
    packFolder = await installSensorPack(stack, [`${img}${script}`, 'then it died']);
    operatorKey = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'ops', role: 'operator' })).body.key;
    adminKey = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'boss', role: 'admin', metadata: { description: `${img}${script}` } })).body.key;
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (packFolder) await rm(packFolder, { recursive: true, force: true });
  });

  it('shows markup in a key, a sensor\'s stderr, a trigger\'s payload and a key\'s description as text', async () => {
    expect((await stack.api('PUT', '/api/v1/keys/markup', { value: `${img}${script}` })).status).toBe(200);
    const fired = await stack.api<{ trigger_instance_id: string }>('POST', '/api/v1/webhooks/st2', { trigger: 'websense.order', payload: { order_id: `${img}${script}` } });
    expect(fired.status).toBe(202);
    await sensorState(stack, 'websense.Crasher', (sensor) => (sensor.stderr_tail ?? []).length > 0, 'the crasher\'s stderr');

    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    await page.goto(`${stack.url}/datastore`);
    expect(await page.locator('tr[data-key="markup"] [data-label="Value"]').textContent()).toBe(`${img}${script}`);

    await page.goto(`${stack.url}/sensors`);
    const crasher = page.locator('tr[data-sensor="websense.Crasher"]');
    await crasher.waitFor();
    for (const summary of await crasher.locator('summary').all()) await summary.click();
    expect(await crasher.locator('pre').first().textContent()).toContain(`${img}${script}`);

    await page.goto(`${stack.url}/triggers`);
    const instance = page.locator(`tr[data-trigger-instance="${fired.body.trigger_instance_id}"]`);
    await instance.locator('summary').click();
    expect(await instance.locator('pre').textContent()).toContain('<img src=x onerror=\\"alert(1)\\">');

    await page.goto(`${stack.url}/api-keys`);
    await page.getByText(`${img}${script}`).waitFor();

    expect(await page.locator('main img, main svg, main script, iframe').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('never puts a secret in the page, nor asks the API to decrypt one, until a role that may asks', async () => {
    expect((await stack.api('PUT', '/api/v1/keys/system_secret', { value: 'sys-clear-text-1', secret: true })).status).toBe(200);
    expect((await stack.api('PUT', '/api/v1/keys/ops_secret', { value: 'ops-clear-text-2', secret: true, scope: 'st2kv.user' }, operatorKey)).status).toBe(200);

    const { page, watch, context } = await newWatchedPage(stack.browser);
    const decrypting: string[] = [];
    page.on('request', (request) => {
      if (/decrypt=true/i.test(request.url())) decrypting.push(request.url());
    });
    await signIn(page, stack.url, operatorKey);
    await page.goto(`${stack.url}/datastore`);
    const system = page.locator('tr[data-key="system_secret"]');
    await system.waitFor();
    expect(await system.locator('[data-label="Value"]').textContent()).toBe('••••••••');
    // An operator may not decrypt system secrets: not offered, and the API refuses it anyway.
    expect(await system.getByRole('button', { name: /^Show/ }).count()).toBe(0);
    expect((await stack.api<{ code: string }>('GET', '/api/v1/keys/system_secret?decrypt=true', undefined, operatorKey)).body.code).toBe('API_ROLE_FORBIDDEN');
    // Nor write the system scope: no form, and refused.
    expect(await page.locator('#key-name').count()).toBe(0);
    expect((await stack.api('PUT', '/api/v1/keys/planted', { value: 'x' }, operatorKey)).status).toBe(403);

    await page.goto(`${stack.url}/datastore?scope=user`);
    const own = page.locator('tr[data-key="ops_secret"]');
    await own.waitFor();
    expect(await own.locator('[data-label="Value"]').textContent()).toBe('••••••••');
    const html = await page.content();
    expect(html).not.toContain('sys-clear-text-1');
    expect(html).not.toContain('ops-clear-text-2');
    expect(decrypting).toEqual([]);
    // Its own secret, on request: the one key, decrypted once.
    await own.getByRole('button', { name: 'Show ops_secret' }).click();
    await own.getByText('ops-clear-text-2').waitFor();
    expect(decrypting).toHaveLength(1);
    expect(decrypting[0]).toContain('/api/v1/keys/ops_secret?');
    expect(await page.content()).not.toContain('sys-clear-text-1');
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('offers a non-admin no API-key view, and the API refuses its calls to the API-key routes', async () => {
    const { page, watch, context } = await newWatchedPage(stack.browser);
    const keyRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/apikeys')) keyRequests.push(request.url());
    });
    await signIn(page, stack.url, operatorKey);
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await page.goto(`${stack.url}/api-keys`);
    await page.getByText('Only an admin manages API keys.').waitFor();
    expect(keyRequests).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();

    const listed = await stack.api<Array<{ id: string; user: string }>>('GET', '/api/v1/apikeys');
    const target = listed.body.find((key) => key.user === 'boss')!;
    const created = await stack.api<{ code: string }>('POST', '/api/v1/apikeys', { user: 'ops', role: 'system_admin' }, operatorKey);
    expect(created.status).toBe(403);
    expect(created.body.code).toBe('API_ROLE_FORBIDDEN');
    expect((await stack.api('PUT', `/api/v1/apikeys/${target.id}`, { enabled: false }, operatorKey)).status).toBe(403);
    expect((await stack.api('DELETE', `/api/v1/apikeys/${target.id}`, undefined, operatorKey)).status).toBe(403);
    // Listing answers only its own keys: nobody else's is shown to it.
    const own = await stack.api<Array<{ user: string }>>('GET', '/api/v1/apikeys', undefined, operatorKey);
    expect(own.body.map((key) => key.user)).toEqual(['ops']);
    expect((await stack.api<{ enabled: boolean }>('GET', `/api/v1/apikeys/${target.id}`)).body.enabled).toBe(true);
  });

  it('shows an admin the server\'s refusal when it tries to disable a system_admin key', async () => {
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, adminKey);
    await page.goto(`${stack.url}/api-keys`);
    // An admin may only create keys below it: the role menu offers no more.
    expect(await page.locator('#apikey-role option').allTextContents()).toEqual(['observer', 'operator']);
    const listed = await stack.api<Array<{ id: string; role: string }>>('GET', '/api/v1/apikeys');
    const strongest = listed.body.find((key) => key.role === 'system_admin')!;
    await page.getByRole('button', { name: `Disable key ${strongest.id}` }).click();
    const refusal = page.getByRole('alert');
    await refusal.getByText('API_ROLE_FORBIDDEN').waitFor();
    expect(await refusal.textContent()).toContain('may not change system_admin keys');
    expect((await stack.api<{ enabled: boolean }>('GET', `/api/v1/apikeys/${strongest.id}`)).body.enabled).toBe(true);
    // The browser's own console line about the refused request is the only problem.
    expect(watch.problems.filter((problem) => !problem.includes('403'))).toEqual([]);
    await context.close();
  });
});
