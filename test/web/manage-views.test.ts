import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { retryUntil } from '../helpers/retry-until.ts';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';

/**
 * The web UI's views of what is managed beside executions and actions, end to end in Debian's
 * chromium against a real `packrun up`: an inquiry answered through its generated form, a pack
 * installed from a folder with its progress arriving live and removed again. Any console error
 * fails the test; the screenshots go to docs/web-ui/.
 */
const shots = path.resolve(import.meta.dirname, '../../docs/web-ui');
let stack: BrowserStack;
let page: Page;
let watch: PageWatch;
let packs: string;
const watches: PageWatch[] = [];

async function shot(target: Page, name: string): Promise<void> {
  await target.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true, animations: 'disabled' });
}

describe.skipIf(!haveChromium || !builtWebUi)('managing packs, rules and inquiries in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    packs = await mkdtemp(path.join(os.tmpdir(), 'packrun-web-packs-'));
    stack = await startBrowserStack('web-manage');
    ({ page, watch } = await newWatchedPage(stack.browser));
    watches.push(watch);
    await signIn(page, stack.url, stack.key);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    if (packs) await rm(packs, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const each of watches) expect(each.problems.splice(0)).toEqual([]);
  });

  it('answers a core.ask inquiry through the form generated from its schema, and its execution finishes', async () => {
    const schema = {
      type: 'object',
      description: 'Ship the <b>release</b>?',
      properties: {
        approve: { type: 'boolean', description: 'Go ahead' },
        reason: { type: 'string', description: 'Why' },
        level: { type: 'string', enum: ['low', 'high'], default: 'low' },
      },
      required: ['approve', 'reason'],
    };
    const asked = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'core.ask', parameters: { schema } });
    expect(asked.status).toBe(201);
    const id = asked.body.id;
    await retryUntil(async () => (await stack.api<{ status: string }>('GET', `/api/v1/executions/${id}`)).body.status === 'pending', { what: 'the inquiry pending' });

    await page.getByRole('link', { name: 'Inquiries' }).click();
    await page.waitForURL(/\/inquiries$/);
    await page.locator(`tr[data-inquiry="${id}"]`).waitFor();
    await shot(page, 'inquiries');
    await page.getByRole('link', { name: id }).click();
    await page.waitForURL((address) => address.pathname === `/inquiries/${id}`);
    // The schema's description is text, its markup shown, never made into elements.
    await page.getByText('Ship the <b>release</b>?').waitFor();
    expect(await page.locator('main b').count()).toBe(0);
    expect(await page.locator('#param-approve').getAttribute('type')).toBe('checkbox');
    expect(await page.locator('#param-level').evaluate((element) => element.tagName)).toBe('SELECT');
    // A required field left empty is named, and nothing is sent.
    await page.getByRole('button', { name: 'Respond' }).click();
    await page.getByText('reason is required').waitFor();
    expect((await stack.api<{ status: string }>('GET', `/api/v1/executions/${id}`)).body.status).toBe('pending');
    await shot(page, 'inquiry');
    await page.locator('#param-approve').check();
    await page.locator('#param-reason').fill('tests pass');
    await page.getByRole('button', { name: 'Respond' }).click();
    await page.waitForURL((address) => address.pathname === `/executions/${id}`);
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    const done = await stack.api<{ status: string; result: { response: unknown } }>('GET', `/api/v1/executions/${id}`);
    // Every field is sent, the untouched default too: the server checks the response as the schema gives it.
    expect(done.body.result.response).toEqual({ approve: true, reason: 'tests pass', level: 'low' });
    await page.goto(`${stack.url}/inquiries`);
    await page.getByText('No inquiry is waiting for a response.').waitFor();
  });

  it('installs a pack from a folder, its progress arriving live, then removes it', async () => {
    const folder = path.join(packs, 'webdemo');
    await mkdir(path.join(folder, 'actions'), { recursive: true });
    await writeFile(path.join(folder, 'pack.yaml'), 'ref: webdemo\nname: webdemo\nversion: 1.2.3\ndescription: A pack the web UI installs\nauthor: tests\nemail: tests@example.com\n');
    await writeFile(path.join(folder, 'actions', 'hi.yaml'), 'name: hi\nrunner_type: local-shell-cmd\ndescription: says hi\nparameters:\n  cmd:\n    default: echo hi\n');

    await page.getByRole('link', { name: 'Packs' }).click();
    await page.waitForURL(/\/packs$/);
    await page.locator('tr[data-pack="core"]').waitFor();
    await page.locator('#pack-source').fill(folder);
    await page.getByRole('button', { name: 'Install' }).click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    // The install's execution page: its progress lines arrive as it goes, then it succeeds.
    await page.locator('pre[data-stream="stdout"]').getByText(/webdemo/).first().waitFor({ timeout: 120_000 });
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toContain('webdemo 1.2.3');
    await shot(page, 'pack-install');

    await page.getByRole('link', { name: 'Packs' }).click();
    const row = page.locator('tr[data-pack="webdemo"]');
    await row.waitFor();
    expect(await row.locator('[data-label="Version"]').textContent()).toBe('1.2.3');
    expect(await row.locator('[data-label="Source"]').textContent()).toContain(folder);
    await shot(page, 'packs');

    await row.getByRole('button', { name: 'Remove webdemo' }).click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    expect((await stack.api('GET', '/api/v1/packs/webdemo')).status).toBe(404);
  }, 300_000);
});
