import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';
import { installFolderPack } from './folder-pack.ts';

/**
 * A pack's config edited in a real chromium against a real `packrun up`: the form comes from the
 * pack's config.schema.yaml, a refusal names the attribute in place, secrets come masked and a
 * masked secret saved again keeps what is stored; an observer sees the config, secrets masked,
 * and no form. Any console error fails the test; the screenshot goes to docs/web-ui/.
 */
const shots = path.resolve(import.meta.dirname, '../../docs/web-ui');
const fixture = path.resolve(import.meta.dirname, '../api/fixtures/configured');
let stack: BrowserStack;
let page: Page;
let watch: PageWatch;

describe.skipIf(!haveChromium || !builtWebUi)('pack config in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-pack-config');
    await installFolderPack(stack, 'configured', {
      'config.schema.yaml': await readFile(path.join(fixture, 'config.schema.yaml'), 'utf8'),
      'actions/show_config.yaml': await readFile(path.join(fixture, 'actions/show_config.yaml'), 'utf8'),
      'actions/show_config.py': await readFile(path.join(fixture, 'actions/show_config.py'), 'utf8'),
    });
    ({ page, watch } = await newWatchedPage(stack.browser));
    await signIn(page, stack.url, stack.key);
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    expect(watch.problems.splice(0)).toEqual([]);
  });

  it('edits the config from its schema, shows a refused value in place, and keeps a secret left masked', async () => {
    await page.goto(`${stack.url}/packs/configured/config`);
    await page.locator('#param-api_url').waitFor();
    // Required and empty: the form says so before anything is sent.
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#param-api_url-problem').waitFor();
    expect((await stack.api('GET', '/api/v1/configs/configured')).status).toBe(404);

    await page.locator('#param-api_url').fill('https://svc.example');
    await page.locator('#param-token').fill('tok-TYPED-1');
    await page.locator('#param-retries').fill('7');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await stack.api<{ values: Record<string, unknown> }>('GET', '/api/v1/configs/configured?show_secrets=true')).body.values).toMatchObject({ api_url: 'https://svc.example', token: 'tok-TYPED-1', retries: 7 });
    // Shown again, the secret is masked in the page: the browser never gets it back.
    expect(await page.locator('#param-token').inputValue()).toBe('********');
    expect(await page.content()).not.toContain('tok-TYPED-1');
    await page.screenshot({ path: path.join(shots, 'pack-config.png'), fullPage: true, animations: 'disabled' });

    // A change elsewhere, the secret left masked: it keeps what is stored.
    await page.locator('#param-api_url').fill('https://other.example');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await expect.poll(async () => (await stack.api<{ values: Record<string, unknown> }>('GET', '/api/v1/configs/configured?show_secrets=true')).body.values).toMatchObject({ api_url: 'https://other.example', token: 'tok-TYPED-1' });

    // A value the schema refuses is shown in place, and nothing is written.
    await page.locator('#param-retries').fill('2.5');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#param-retries-problem').waitFor();
    expect((await stack.api<{ values: Record<string, unknown> }>('GET', '/api/v1/configs/configured')).body.values['retries']).toBe(7);
  });

  it('shows an observer the config with its secrets masked, and no form', async () => {
    const created = await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'config-watcher', role: 'observer' });
    const observer = await newWatchedPage(stack.browser);
    await signIn(observer.page, stack.url, created.body.key);
    await observer.page.goto(`${stack.url}/packs/configured/config`);
    await observer.page.getByText('Only an admin may change').waitFor();
    expect(await observer.page.locator('form').count()).toBe(0);
    expect(await observer.page.content()).not.toContain('tok-TYPED-1');
    expect(observer.watch.problems).toEqual([]);
  });
});
