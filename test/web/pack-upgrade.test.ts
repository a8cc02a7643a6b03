import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack } from './browser-stack.ts';
import { installFolderPack } from './folder-pack.ts';

/**
 * A pack upgraded from the packs page in a real chromium against a real `packrun up`: installed
 * from a folder, the folder's version raised, **Upgrade** installs it again from its recorded
 * source (POST /api/v1/packs/upgrade) with the progress live, and the new version is listed; the
 * route's refusals (a pack not installed, a bad ref, an operator) over HTTP. Any console error
 * fails the test.
 */
let stack: BrowserStack;
let folder: string;

describe.skipIf(!haveChromium || !builtWebUi)('upgrading a pack from the web UI (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-pack-upgrade');
    folder = await installFolderPack(stack, 'upgradable', { 'actions/hi.yaml': 'name: hi\nrunner_type: local-shell-cmd\nenabled: true\nparameters:\n  cmd:\n    default: echo hi\n' });
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('installs a pack again from its source and lists its new version', async () => {
    const meta = path.join(folder, 'pack.yaml');
    await writeFile(meta, (await readFile(meta, 'utf8')).replace('version: 1.0.0', 'version: 1.1.0'));
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    await page.goto(`${stack.url}/packs`);
    const row = page.locator('tr[data-pack="upgradable"]');
    expect(await row.locator('[data-label="Version"]').textContent()).toBe('1.0.0');
    // Built-in packs are not offered it.
    expect(await page.locator('tr[data-pack="core"]').getByRole('button', { name: 'Upgrade core' }).count()).toBe(0);
    await row.getByRole('button', { name: 'Upgrade upgradable' }).click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toContain('upgradable 1.1.0');
    await page.goto(`${stack.url}/packs`);
    await page.locator('tr[data-pack="upgradable"] [data-label="Version"]', { hasText: '1.1.0' }).waitFor();
    expect(watch.problems).toEqual([]);
    await context.close();
  }, 300_000);

  it('refuses a pack that is not installed, a bad ref and an operator', async () => {
    const missing = await stack.api<{ code: string }>('POST', '/api/v1/packs/upgrade', { packs: ['notinstalled'] });
    expect([missing.status, missing.body.code]).toEqual([404, 'PACK_NOT_INSTALLED']);
    const bad = await stack.api<{ code: string }>('POST', '/api/v1/packs/upgrade', { packs: ['../etc'] });
    expect([bad.status, bad.body.code]).toEqual([400, 'PACK_REF_INVALID']);
    const operator = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'op', role: 'operator' })).body.key;
    const refused = await stack.api<{ code: string }>('POST', '/api/v1/packs/upgrade', { packs: ['upgradable'] }, operator);
    expect([refused.status, refused.body.code]).toEqual([403, 'API_ROLE_FORBIDDEN']);
  });
});
