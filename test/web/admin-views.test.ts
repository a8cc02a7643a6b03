import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { retryUntil } from '../helpers/retry-until.ts';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';
import { installSensorPack, sensorState } from './sensor-pack.ts';

/**
 * The web UI's datastore, sensors, triggers and API-key views, end to end in Debian's chromium
 * against a real `packrun up` with a pack of real Node sensors: keys set (secret, ttl), revealed
 * on request and deleted; sensors disabled, enabled and restarted, and their crashes and restarts
 * shown live from the event stream as new trigger instances are; a trigger fired from its
 * payload schema's form and an instance re-emitted; an API key created (shown once), used,
 * disabled and deleted; and what a read-only key is offered. Any console error fails a test;
 * the screenshots go to docs/web-ui/.
 */
const shots = path.resolve(import.meta.dirname, '../../docs/web-ui');
let stack: BrowserStack;
let page: Page;
let packFolder: string;
const watches: PageWatch[] = [];

async function shot(target: Page, name: string): Promise<void> {
  await target.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true, animations: 'disabled' });
}

const section = (target: Page, name: string) => target.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name });

describe.skipIf(!haveChromium || !builtWebUi)('the datastore, sensors, triggers and API-key views in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    stack = await startBrowserStack('web-admin-views');
    packFolder = await installSensorPack(stack, ['connecting to the queue', 'boom: the upstream is gone']);
    const opened = await newWatchedPage(stack.browser);
    page = opened.page;
    watches.push(opened.watch);
    await signIn(page, stack.url, stack.key);
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (packFolder) await rm(packFolder, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const each of watches) expect(each.problems.splice(0)).toEqual([]);
  });

  it('sets a plain and a secret key with a ttl, shows the secret masked until asked, and deletes a key', async () => {
    await section(page, 'Datastore').click();
    await page.waitForURL(/\/datastore$/);
    await page.getByText('No keys in this scope.').waitFor();
    await page.locator('#key-name').fill('region');
    await page.locator('#key-value').fill('eu-west-1');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await page.locator('tr[data-key="region"]').getByText('eu-west-1').waitFor();

    await page.locator('#key-name').fill('db_password');
    await page.getByLabel(/Secret \(stored encrypted/).check();
    // A secret's value is typed into a password field.
    expect(await page.locator('#key-value').getAttribute('type')).toBe('password');
    await page.locator('#key-value').fill('hunter2-very-secret');
    await page.locator('#key-ttl').fill('3600');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    const secretRow = page.locator('tr[data-key="db_password"]');
    await secretRow.waitFor();
    expect(await secretRow.locator('[data-label="Value"]').textContent()).toBe('••••••••');
    expect(await page.content()).not.toContain('hunter2-very-secret');
    // The ttl is the server's: it expires within the hour.
    const stored = await stack.api<{ secret: boolean; expire_timestamp: string }>('GET', '/api/v1/keys/db_password');
    expect(stored.body.secret).toBe(true);
    expect(Date.parse(stored.body.expire_timestamp) - Date.now()).toBeGreaterThan(3_500_000);
    expect(await secretRow.locator('[data-label="Expires"] time').count()).toBe(1);
    await shot(page, 'datastore');

    await secretRow.getByRole('button', { name: 'Show db_password' }).focus();
    await page.keyboard.press('Space');
    await secretRow.getByText('hunter2-very-secret').waitFor();
    await secretRow.getByRole('button', { name: 'Hide db_password' }).click();
    await secretRow.getByText('••••••••').waitFor();

    const plainRow = page.locator('tr[data-key="region"]');
    await plainRow.getByRole('button', { name: 'Delete region' }).click();
    // Asked twice: the confirmation takes the focus, and Enter confirms.
    await retryUntil(async () => (await page.evaluate<string | undefined>('document.activeElement?.textContent')) === 'Really delete', { what: 'the confirmation focused' });
    await page.keyboard.press('Enter');
    await plainRow.waitFor({ state: 'detached' });
    expect((await stack.api('GET', '/api/v1/keys/region')).status).toBe(404);

    // The user scope is another tab, with its own keys.
    await page.getByRole('navigation', { name: 'Scopes' }).getByRole('link', { name: /^Yours/ }).click();
    await page.waitForURL(/\/datastore\?scope=user$/);
    await page.locator('#key-name').fill('my_token');
    await page.locator('#key-value').fill('mine');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await page.locator('tr[data-key="my_token"]').waitFor();
    expect((await stack.api<{ scope: string }>('GET', '/api/v1/keys/my_token?scope=user')).body.scope).toBe('st2kv.user');
    expect((await stack.api('GET', '/api/v1/keys/my_token?scope=system')).status).toBe(404);
  });

  it('shows each sensor\'s state, restarts, last error and stderr, and disables, enables and restarts one', async () => {
    await sensorState(stack, 'websense.Quiet', (sensor) => sensor.status === 'running', 'Quiet running');
    await sensorState(stack, 'websense.Crasher', (sensor) => (sensor.stderr_tail ?? []).length > 0, 'Crasher stderr seen');
    await section(page, 'Sensors').click();
    await page.waitForURL(/\/sensors$/);
    const quiet = page.locator('tr[data-sensor="websense.Quiet"]');
    await quiet.locator('.status', { hasText: 'running' }).waitFor();
    const crasher = page.locator('tr[data-sensor="websense.Crasher"]');
    // The crash loop restarts it all the time: its stderr is the tail, or that of the last failure.
    const stderr = crasher.locator('details').filter({ hasText: 'boom: the upstream is gone' }).first();
    await stderr.waitFor();
    await stderr.locator('summary').click();
    await stderr.locator('pre').getByText('boom: the upstream is gone').waitFor();
    expect(await crasher.locator('[data-label="Last error"] .bad').textContent()).toMatch(/\S/);
    await shot(page, 'sensors');

    await quiet.getByRole('button', { name: 'Disable websense.Quiet' }).focus();
    await page.keyboard.press('Enter');
    await quiet.locator('.status', { hasText: 'disabled' }).waitFor();
    expect((await stack.api<{ enabled: boolean }>('GET', '/api/v1/sensortypes/websense.Quiet')).body.enabled).toBe(false);
    expect(await quiet.getByRole('button', { name: 'Restart websense.Quiet' }).count()).toBe(0);
    await quiet.getByRole('button', { name: 'Enable websense.Quiet' }).click();
    await quiet.getByRole('button', { name: 'Restart websense.Quiet' }).waitFor();
    await sensorState(stack, 'websense.Quiet', (sensor) => sensor.status === 'running', 'Quiet running again');
    const before = (await stack.api<{ starts: number }>('GET', '/api/v1/sensortypes/websense.Quiet')).body.starts;
    await quiet.getByRole('button', { name: 'Restart websense.Quiet' }).click();
    await retryUntil(async () => (await stack.api<{ starts: number }>('GET', '/api/v1/sensortypes/websense.Quiet')).body.starts > before, { what: 'Quiet restarted', withinMs: 20_000 });
    await retryUntil(async () => Number(await quiet.locator('[data-label="Restarts"]').textContent()) >= before, { what: 'the restart counted on the page' });
  });

  it('shows a restart and a crash that happen elsewhere as they happen, without a reload or a poll', async () => {
    await section(page, 'Sensors').click();
    await page.waitForURL(/\/sensors$/);
    await page.locator('.live-live').waitFor();
    // A reload would lose this; a poll would show in the requests.
    await page.evaluate('window.packrunUnreloaded = true');
    const listReads: string[] = [];
    const onRequest = (request: { url(): string; method(): string }): void => {
      if (request.method() === 'GET' && request.url().includes('/api/v1/sensortypes')) listReads.push(request.url());
    };
    page.on('request', onRequest);
    try {
      const quiet = page.locator('tr[data-sensor="websense.Quiet"]');
      const restarts = async (row: typeof quiet): Promise<number> => Number(await row.locator('[data-label="Restarts"]').textContent());
      const quietBefore = await restarts(quiet);
      expect((await stack.api('POST', '/api/v1/sensortypes/websense.Quiet/restart')).status).toBe(200);
      await retryUntil(async () => (await restarts(quiet)) > quietBefore, { what: 'Quiet\'s restart shown', withinMs: 20_000 });
      await quiet.locator('.status', { hasText: 'running' }).waitFor();

      // The crasher started again by another client crashes at once: its new start and its error show.
      const crasher = page.locator('tr[data-sensor="websense.Crasher"]');
      const crasherBefore = await restarts(crasher);
      expect((await stack.api('POST', '/api/v1/sensortypes/websense.Crasher/restart')).status).toBe(200);
      await retryUntil(async () => (await restarts(crasher)) > crasherBefore, { what: 'the crasher\'s restart shown', withinMs: 20_000 });
      await crasher.locator('[data-label="Last error"] .bad', { hasText: 'exited with code 3' }).waitFor();
      await crasher.locator('.status', { hasText: /backing_off|failing/ }).waitFor();
    } finally {
      page.off('request', onRequest);
    }
    expect(await page.evaluate('window.packrunUnreloaded')).toBe(true);
    expect(listReads).toEqual([]);
  });

  it('fires a trigger from a form generated from its payload schema, and re-emits an instance', async () => {
    await section(page, 'Triggers').click();
    await page.waitForURL(/\/triggers$/);
    // From the keyboard: the link takes the focus, Enter follows it.
    await page.locator('tr[data-trigger-type="websense.order"]').getByRole('link', { name: 'Fire websense.order' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/triggers\?fire=websense.order$/);
    expect(await page.locator('#param-speed').evaluate((element) => element.tagName)).toBe('SELECT');
    expect(await page.locator('#param-gift').getAttribute('type')).toBe('checkbox');
    // The schema's required field is checked before anything is sent.
    await page.getByRole('button', { name: 'Fire', exact: true }).click();
    await page.getByText('order_id is required').waitFor();
    await page.locator('#param-order_id').fill('A-1001');
    await page.locator('#param-amount').fill('3');
    await page.locator('#param-gift').check();
    await page.getByRole('button', { name: 'Fire', exact: true }).click();
    const fired = page.getByRole('status').filter({ hasText: 'Fired: trigger instance' });
    await fired.waitFor();
    const id = (await fired.locator('.mono').textContent()) ?? '';
    const instance = await stack.api<{ trigger: string; payload: Record<string, unknown> }>('GET', `/api/v1/triggerinstances/${id}`);
    expect(instance.body.trigger).toBe('websense.order');
    expect(instance.body.payload).toMatchObject({ order_id: 'A-1001', amount: 3, speed: 'normal', gift: true });
    const row = page.locator(`tr[data-trigger-instance="${id}"]`);
    await row.waitFor();
    await shot(page, 'triggers');

    await row.getByRole('button', { name: `Re-emit ${id}` }).click();
    await retryUntil(async () => ((await fired.locator('.mono').textContent()) ?? id) !== id, { what: 'the re-emitted instance named' });
    const again = (await fired.locator('.mono').textContent()) ?? '';
    const reEmitted = await stack.api<{ payload: Record<string, unknown> }>('GET', `/api/v1/triggerinstances/${again}`);
    expect(reEmitted.body.payload).toMatchObject({ order_id: 'A-1001', __context: { original_id: id } });
    await page.locator(`tr[data-trigger-instance="${again}"]`).waitFor();

    // Narrowed to one trigger (in the address): only its instances, the two of this test.
    await page.getByRole('search', { name: 'Filter trigger instances' }).getByLabel('Trigger').selectOption('websense.order');
    await page.waitForURL((address) => address.searchParams.get('trigger') === 'websense.order');
    await retryUntil(async () => (await page.locator('tr[data-trigger-instance]').count()) === 2, { what: 'only the two websense.order instances listed' });
    expect(await page.locator('tr[data-trigger-instance] [data-label="Trigger"]').allTextContents()).toEqual(['websense.order', 'websense.order']);
  });

  it('shows a trigger instance fired elsewhere, and its processing, without a reload or a poll', async () => {
    await section(page, 'Triggers').click();
    await page.waitForURL(/\/triggers$/);
    await page.locator('.live-live').waitFor();
    await page.evaluate('window.packrunUnreloaded = true');
    const listReads: string[] = [];
    const onRequest = (request: { url(): string; method(): string }): void => {
      if (request.method() === 'GET' && request.url().includes('/api/v1/triggerinstances')) listReads.push(request.url());
    };
    page.on('request', onRequest);
    const shownIds = (): Promise<Array<string | null>> => page.locator('tr[data-trigger-instance]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-trigger-instance')));
    try {
      const newestBefore = (await shownIds())[0];
      const fired = await stack.api<{ trigger_instance_id: string }>('POST', '/api/v1/webhooks/st2', { trigger: 'websense.order', payload: { order_id: 'LIVE-7' } });
      expect(fired.status).toBe(202);
      const row = page.locator(`tr[data-trigger-instance="${fired.body.trigger_instance_id}"]`);
      await row.locator('.status', { hasText: 'processed' }).waitFor();
      // Newest first: it came in above what was shown before (the stack's sensors may fire meanwhile, above it).
      const ids = await shownIds();
      if (newestBefore) expect(ids.indexOf(fired.body.trigger_instance_id)).toBeLessThan(ids.indexOf(newestBefore));
      expect(await row.locator('[data-label="Trigger"]').textContent()).toBe('websense.order');
    } finally {
      page.off('request', onRequest);
    }
    expect(await page.evaluate('window.packrunUnreloaded')).toBe(true);
    expect(listReads).toEqual([]);
  });

  it('creates an API key shown once, which signs in with only its role, then disables and deletes it', async () => {
    await section(page, 'API keys').click();
    await page.waitForURL(/\/api-keys$/);
    await page.locator('#apikey-user').fill('reader');
    await page.locator('#apikey-role').selectOption('observer');
    await page.locator('#apikey-description').fill('dashboards');
    await page.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByLabel('The new API key');
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key.length).toBeGreaterThan(20);
    const listed = await stack.api<Array<{ id: string; user: string; role: string }>>('GET', '/api/v1/apikeys');
    const record = listed.body.find((item) => item.user === 'reader');
    expect(record?.role).toBe('observer');
    const row = page.locator(`tr[data-apikey="${record!.id}"]`);
    await row.getByText('dashboards').waitFor();
    await shot(page, 'api-keys');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(key);

    // The read-only key: everything visible, nothing that changes anything offered.
    const reader = await newWatchedPage(stack.browser);
    watches.push(reader.watch);
    await signIn(reader.page, stack.url, key);
    expect(await section(reader.page, 'API keys').count()).toBe(0);
    await reader.page.goto(`${stack.url}/datastore`);
    await reader.page.getByText('Your role may read these keys but not set or delete them.').waitFor();
    await reader.page.locator('tr[data-key="db_password"]').waitFor();
    expect(await reader.page.locator('#key-name').count()).toBe(0);
    expect(await reader.page.getByRole('button', { name: /^(Delete|Show)/ }).count()).toBe(0);
    await reader.page.goto(`${stack.url}/sensors`);
    await reader.page.locator('tr[data-sensor="websense.Quiet"]').waitFor();
    expect(await reader.page.getByRole('button', { name: /^(Restart|Enable|Disable)/ }).count()).toBe(0);
    await reader.page.goto(`${stack.url}/triggers?fire=websense.order`);
    await reader.page.locator('tr[data-trigger-type="websense.order"]').waitFor();
    expect(await reader.page.getByRole('link', { name: /^Fire/ }).count()).toBe(0);
    expect(await reader.page.locator('#param-order_id').count()).toBe(0);
    expect(await reader.page.getByRole('button', { name: /^Re-emit/ }).count()).toBe(0);
    await reader.page.goto(`${stack.url}/api-keys`);
    await reader.page.getByText('Only an admin manages API keys.').waitFor();
    await reader.context.close();

    await row.getByRole('button', { name: `Disable key ${record!.id}` }).click();
    await row.getByRole('button', { name: `Enable key ${record!.id}` }).waitFor();
    expect(await row.locator('[data-label="Enabled"]').textContent()).toBe('no');
    expect((await stack.api('GET', '/api/v1/user', undefined, key)).status).toBe(401);
    await row.getByRole('button', { name: `Delete key ${record!.id}` }).click();
    await page.getByRole('button', { name: `Really delete key ${record!.id}` }).click();
    await row.waitFor({ state: 'detached' });
    expect((await stack.api('GET', `/api/v1/apikeys/${record!.id}`)).status).toBe(404);
  });

  it('is readable at 320 px in the dark theme', async () => {
    const narrow = await newWatchedPage(stack.browser, { viewport: { width: 320, height: 720 }, colorScheme: 'dark' });
    watches.push(narrow.watch);
    await signIn(narrow.page, stack.url, stack.key);
    for (const view of ['/datastore', '/sensors', '/triggers', '/api-keys']) {
      await narrow.page.goto(`${stack.url}${view}`);
      await narrow.page.locator('main table, main p.muted').first().waitFor();
      // Nothing scrolls sideways.
      expect(await narrow.page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    }
    await narrow.page.goto(`${stack.url}/sensors`);
    await narrow.page.locator('tr[data-sensor="websense.Quiet"]').waitFor();
    await shot(narrow.page, 'sensors-320-dark');
    await narrow.context.close();
  });
});
