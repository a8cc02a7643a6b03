import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { retryUntil } from '../helpers/retry-until.ts';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';
import { installFolderPack } from './folder-pack.ts';

/**
 * The execution list's filters in a real chromium against a real `packrun up`: action, pack,
 * status, rule, user and a time range, each put in the page's address under the API's name and
 * sent to `GET /api/v1/executions` as it is; a deep link opens filtered; the live stream adds only
 * what matches. Any console error fails the test.
 */
const shots = path.resolve(import.meta.dirname, '../../docs/web-ui');
let stack: BrowserStack;
let page: Page;
let watch: PageWatch;
let bobKey: string;
/** Between the first executions and the later ones. */
let between: string;
/** The executions before `between`: the pack's install and the early one. */
let beforeIds: string[];
let allCount: number;

interface Listed {
  id: string;
  status: string;
}

async function run(action: string, parameters: Record<string, unknown>, key?: string): Promise<string> {
  const started = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action, parameters }, key);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id;
}

async function finished(id: string): Promise<void> {
  await retryUntil(async () => ['succeeded', 'failed'].includes((await stack.api<Listed>('GET', `/api/v1/executions/${id}`)).body.status), { withinMs: 60_000, what: `execution ${id} to finish` });
}

const rows = () => page.locator('table.executions tbody tr');
const rowIds = async (): Promise<string[]> => (await rows().evaluateAll((found) => found.map((row) => row.getAttribute('data-execution') ?? ''))).sort();

describe.skipIf(!haveChromium || !builtWebUi)('the execution list filters in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    stack = await startBrowserStack('web-filters');
    await installFolderPack(stack, 'filterdemo', { 'actions/hello.yaml': 'name: hello\nrunner_type: local-shell-cmd\nenabled: true\nparameters:\n  cmd:\n    default: echo hello\n' });
    bobKey = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'bob', role: 'operator' })).body.key;
    const rule = await stack.api('POST', '/api/v1/rules', {
      name: 'on_filter_hook', pack: 'filterdemo', enabled: true,
      trigger: { type: 'core.st2.webhook', parameters: { url: 'filter-hook' } }, criteria: {},
      action: { ref: 'core.local', parameters: { cmd: 'echo by-rule' } },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);

    ids['early'] = await run('core.local', { cmd: 'echo early' });
    await finished(ids['early']);
    beforeIds = (await stack.api<Listed[]>('GET', '/api/v1/executions')).body.map((item) => item.id).sort();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    ids['failed'] = await run('core.local', { cmd: 'exit 3' });
    ids['bob'] = await run('core.local', { cmd: 'echo bob' }, bobKey);
    ids['hello'] = await run('filterdemo.hello', {});
    expect((await stack.api('POST', '/api/v1/webhooks/filter-hook', {})).status).toBe(202);
    await retryUntil(async () => (await stack.api<Listed[]>('GET', '/api/v1/executions?rule=filterdemo.on_filter_hook')).body.length === 1, { withinMs: 60_000, what: 'the rule to run core.local' });
    ids['rule'] = (await stack.api<Listed[]>('GET', '/api/v1/executions?rule=filterdemo.on_filter_hook')).body[0]!.id;
    for (const id of Object.values(ids)) await finished(id);
    allCount = beforeIds.length + Object.keys(ids).length - 1;

    ({ page, watch } = await newWatchedPage(stack.browser));
    await signIn(page, stack.url, stack.key);
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    expect(watch.problems.splice(0)).toEqual([]);
  });

  it('filters by pack, status, rule and user from the form, each in the address', async () => {
    await rows().first().waitFor();
    expect(await rows().count()).toBe(allCount);

    await page.getByLabel('Pack').fill('filterdemo');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((address) => address.search === '?pack=filterdemo');
    await retryUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify([ids['hello']]), { what: 'only the pack filterdemo' });

    await page.getByLabel('Pack').fill('');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((address) => address.search === '?status=failed');
    await retryUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify([ids['failed']]), { what: 'only the failed one' });

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Rule').fill('filterdemo.on_filter_hook');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((address) => address.search === '?rule=filterdemo.on_filter_hook');
    await retryUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify([ids['rule']]), { what: "only the rule's" });

    await page.getByLabel('Rule').fill('');
    await page.getByLabel('User').fill('bob');
    await page.getByLabel('Action').fill('core.local');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((address) => address.search === '?action=core.local&user=bob');
    await retryUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify([ids['bob']]), { what: "only bob's" });
    await page.screenshot({ path: path.join(shots, 'executions-filtered.png'), fullPage: true, animations: 'disabled' });
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.waitForURL((address) => address.pathname === '/executions' && address.search === '');
    await retryUntil(async () => (await rows().count()) === allCount, { what: 'all again' });
  });

  it('filters by a time range given in the browser\'s zone, sent as UTC', async () => {
    // A datetime-local field has minutes: the deep link carries the exact time instead.
    await page.goto(`${stack.url}/executions?timestamp_gt=${encodeURIComponent(between)}`);
    await retryUntil(async () => (await rows().count()) === allCount - beforeIds.length, { what: 'all but the early ones' });
    expect(await rowIds()).not.toContain(ids['early']);
    await page.goto(`${stack.url}/executions?timestamp_lt=${encodeURIComponent(between)}`);
    await retryUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify(beforeIds), { what: 'only the early ones' });
    // The field shows the time in the browser's zone; submitting it again puts UTC in the address.
    const shown = await page.getByLabel('Requested before').inputValue();
    expect(shown).toBe(await page.evaluate((iso) => {
      const time = new Date(iso);
      const pad = (value: number) => String(value).padStart(2, '0');
      return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T${pad(time.getHours())}:${pad(time.getMinutes())}`;
    }, between));
    await page.getByLabel('Requested before').fill('2001-02-03T04:05');
    await page.getByRole('button', { name: 'Filter' }).click();
    const expected = await page.evaluate(() => new Date('2001-02-03T04:05').toISOString());
    await page.waitForURL((address) => address.searchParams.get('timestamp_lt') === expected);
    await page.getByText('No executions match these filters.').waitFor();
  });

  it('opens filtered from a deep link and adds only matching executions live', async () => {
    const listed: URL[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/executions?')) listed.push(new URL(request.url()));
    });
    await page.goto(`${stack.url}/executions?pack=filterdemo`);
    expect(await page.getByLabel('Pack').inputValue()).toBe('filterdemo');
    await retryUntil(async () => JSON.stringify(await rowIds()) === JSON.stringify([ids['hello']]), { what: 'the deep link filtered' });
    await page.getByText('Live', { exact: true }).waitFor();
    const other = await run('core.local', { cmd: 'echo not-this-pack' });
    const mine = await run('filterdemo.hello', {});
    await page.locator(`tr[data-execution="${mine}"]`).waitFor({ timeout: 60_000 });
    await finished(other);
    expect(await page.locator(`tr[data-execution="${other}"]`).count()).toBe(0);
    // The list asked for one page, once: the new executions came from the stream, not a re-read.
    expect(listed.map((address) => [address.searchParams.get('limit'), address.searchParams.get('offset'), address.searchParams.get('pack')])).toEqual([['50', '0', 'filterdemo']]);
  });
});
