import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';

/**
 * The web UI end to end: Debian's chromium (through playwright-core) against a real `packrun up`
 * started as its own process. Signing in, the health view, an action run through its generated
 * form with its output arriving live, the live executions list, cancel, re-run, what an observer
 * may not do, a 320 px screen in the dark theme. Any console error fails the test. Each view's
 * screenshot is written to docs/web-ui/ for docs/web-ui.md.
 */
const shots = path.resolve(import.meta.dirname, '../../docs/web-ui');
let stack: BrowserStack;
let page: Page;
let watch: PageWatch;
const watches: PageWatch[] = [];

async function shot(target: Page, name: string): Promise<void> {
  await target.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Runs core.local through the action page's form; answers the new execution's id. */
async function runThroughForm(target: Page, cmd: string): Promise<string> {
  await target.goto(`${stack.url}/actions/core.local`);
  await target.locator('#param-cmd').fill(cmd);
  await target.getByRole('button', { name: 'Run' }).click();
  await target.waitForURL(/\/executions\/[^/]+$/);
  return decodeURIComponent(new URL(target.url()).pathname.split('/').pop()!);
}

const status = (target: Page) => target.locator('.title-row .status');

describe.skipIf(!haveChromium || !builtWebUi)('the web UI in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    stack = await startBrowserStack('web-ui');
    ({ page, watch } = await newWatchedPage(stack.browser));
    watches.push(watch);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    // Any console error or uncaught exception of any page fails the test it happened in.
    for (const each of watches) expect(each.problems.splice(0)).toEqual([]);
  });

  it('sends a visitor to the login page and signs in with an API key from the keyboard', async () => {
    await page.goto(`${stack.url}/executions`);
    await page.waitForURL(/\/login\?next=%2Fexecutions$/);
    await expect(page.getByRole('heading', { name: 'Sign in to Packrun' }).isVisible()).resolves.toBe(true);
    await shot(page, 'login');
    // Tab to the key field (past the sign-in choice), type, Enter.
    for (let presses = 0; presses < 6 && (await page.evaluate<string | undefined>('document.activeElement?.id')) !== 'credential'; presses++) await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('credential');
    await page.keyboard.type(stack.key);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/executions$/);
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    expect(await page.locator('header .who').textContent()).toContain('system_admin');
    // The key is kept in this tab's session storage, nowhere in the address.
    expect(await page.evaluate<string | null>("sessionStorage.getItem('packrun.credential')")).toContain(stack.key);
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
    expect(watch.addresses.filter((address) => address.includes(stack.key))).toEqual([]);
  });

  it('refuses a wrong key on the login page, saying why', async () => {
    const other = await newWatchedPage(stack.browser);
    await other.page.goto(`${stack.url}/login`);
    await other.page.locator('#credential').fill('not-a-key');
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.getByRole('alert').waitFor();
    expect(await other.page.getByRole('alert').textContent()).toContain('API_KEY_INVALID');
    // The refused sign-in's 401 is the browser's own console line about the request, not the app's.
    expect(other.watch.problems.filter((problem) => !problem.includes('401'))).toEqual([]);
    await other.context.close();
  });

  it("shows the server's health, readiness and version", async () => {
    await page.getByRole('link', { name: 'Health' }).click();
    await page.waitForURL(/\/health$/);
    await page.getByText('ready', { exact: true }).waitFor();
    const version = (await stack.api<{ version: string }>('GET', '/api/v1/version')).body.version;
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    await page.getByText(version).waitFor();
    await shot(page, 'health');
  });

  it('finds an action by its description and shows its generated run form', async () => {
    await page.getByRole('link', { name: 'Actions' }).click();
    await page.waitForURL(/\/actions$/);
    await page.getByRole('searchbox', { name: 'Search' }).fill('shell command');
    await page.waitForURL(/q=shell\+command/);
    await page.getByRole('link', { name: 'core.local', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'core.http', exact: true }).count()).toBe(0);
    await shot(page, 'actions');
    await page.getByRole('link', { name: 'core.local', exact: true }).click();
    await page.waitForURL(/\/actions\/core\.local$/);
    // Generated from core.local's schema: cmd a required text field, timeout a number, sudo a checkbox, env an object as JSON.
    expect(await page.locator('#param-cmd').getAttribute('type')).toBe('text');
    expect(await page.locator('#param-timeout').getAttribute('type')).toBe('number');
    expect(await page.locator('#param-sudo').getAttribute('type')).toBe('checkbox');
    expect(await page.locator('#param-env').evaluate((element) => element.tagName)).toBe('TEXTAREA');
    await shot(page, 'action');
  });

  it('checks JSON fields before anything is sent', async () => {
    await page.goto(`${stack.url}/actions/core.local`);
    await page.locator('#param-cmd').fill('echo never');
    await page.locator('#param-env').fill('{not json');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByText(/env is not valid JSON/).waitFor();
    await page.locator('#param-env').fill('["a list"]');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByText('env must be a JSON object').waitFor();
    expect(new URL(page.url()).pathname).toBe('/actions/core.local');
    expect((await stack.api<unknown[]>('GET', '/api/v1/executions?action=core.local')).body).toEqual([]);
  });

  let firstExecution: string;
  it('runs an action through its form and shows its output as it arrives, then its result', async () => {
    const release = path.join(stack.gate, 'release-first');
    firstExecution = await runThroughForm(page, `echo first-line; while [ ! -e ${release} ]; do sleep 0.1; done; echo second-line`);
    // The action waits for the release file: the first line is on the page while it runs.
    await page.locator('pre[data-stream="stdout"]').getByText('first-line').waitFor({ timeout: 60_000 });
    expect(await status(page).textContent()).toBe('running');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).not.toContain('second-line');
    await shot(page, 'execution-running');
    await writeFile(release, '');
    await page.locator('pre[data-stream="stdout"]').getByText('second-line').waitFor({ timeout: 60_000 });
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    // The result as a tree (keys as text) and as raw JSON.
    await page.getByTestId('result-tree').getByText('return_code:').waitFor();
    await page.getByText('Raw JSON').click();
    expect(JSON.parse((await page.getByTestId('result-json').textContent()) ?? '')).toMatchObject({ return_code: 0, stdout: 'first-line\nsecond-line', succeeded: true });
    // Its status history, each change once.
    const history = await page.locator('ol.history .status').allTextContents();
    expect(history.at(-1)).toBe('succeeded');
    expect(history).toContain('running');
    await shot(page, 'execution');
  });

  it('lists executions live: a new one comes in at the top and changes state without a reload', async () => {
    await page.getByRole('link', { name: 'Executions' }).click();
    await page.waitForURL(/\/executions$/);
    await page.locator(`tr[data-execution="${firstExecution}"]`).waitFor();
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    const marks = await page.evaluate<number>("performance.getEntriesByType('navigation').length");
    const created = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd: 'echo from-the-api' } });
    expect(created.status).toBe(201);
    const row = page.locator(`tr[data-execution="${created.body.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.locator('.status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('tbody tr').first().getAttribute('data-execution')).toBe(created.body.id);
    // The same document all along: nothing reloaded the page.
    expect(await page.evaluate<number>("performance.getEntriesByType('navigation').length")).toBe(marks);
    await shot(page, 'executions');
    // Filters are in the address, so a filtered list is a link.
    await page.getByRole('combobox', { name: 'Status' }).selectOption('succeeded');
    await page.getByRole('searchbox', { name: 'Action' }).fill('core.local');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/executions\?action=core\.local&status=succeeded$/);
    await page.locator(`tr[data-execution="${created.body.id}"]`).waitFor();
    expect(new Set(await page.locator('tbody .status').allTextContents())).toEqual(new Set(['succeeded']));
  });

  it('applies a burst of 800 stream events in a few renders, each execution in its newest state', async () => {
    // The stream is answered by the test: 200 executions as the API serves them (made from a real
    // one), each a create and three updates, interleaved as a busy server sends them, in one chunk.
    const template = (await stack.api<Record<string, unknown>>('GET', `/api/v1/executions/${encodeURIComponent(firstExecution)}`)).body;
    const steps = ['requested', 'scheduled', 'running', 'succeeded'];
    const at = new Date().toISOString();
    const event = (id: string, step: number): string =>
      `event: ${step === 0 ? 'st2.execution__create' : 'st2.execution__update'}\ndata: ${JSON.stringify({
        ...template,
        id,
        status: steps[step],
        start_timestamp: at,
        log: steps.slice(0, step + 1).map((status) => ({ status, timestamp: at })),
      })}\n\n`;
    const ids = Array.from({ length: 200 }, (_, index) => `burst${String(index).padStart(4, '0')}`);
    const events: string[] = [];
    const flight: { id: string; step: number }[] = [];
    for (let created = 0; created < ids.length || flight.length > 0; ) {
      if (created < ids.length && flight.length < 5) {
        flight.push({ id: ids[created]!, step: 0 });
        events.push(event(ids[created]!, 0));
        created += 1;
        continue;
      }
      const next = flight.shift()!;
      next.step += 1;
      events.push(event(next.id, next.step));
      if (next.step < 3) flight.push(next);
    }
    // A late, older state of one execution shown, before the newest execution's last update.
    events.splice(events.length - 1, 0, event('burst0180', 2));
    // The retry keeps EventSource from reading the same burst again when the response ends.
    const body = `retry: 3600000\n\n${events.join('')}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const burst = await newWatchedPage(stack.browser);
    watches.push(burst.watch);
    await burst.page.route(/\/api\/v1\/stream\?/, async (route) => {
      await released;
      await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body });
    });
    await signIn(burst.page, stack.url, stack.key);
    await burst.page.locator(`tr[data-execution="${firstExecution}"]`).waitFor();
    await burst.page.evaluate(`(() => {
      window.rowRenders = 0;
      new MutationObserver(() => { window.rowRenders += 1; }).observe(document.querySelector('table.executions tbody'), { childList: true, subtree: true, characterData: true });
    })()`);
    release();
    // The newest execution's final state is the burst's last event: once drawn, every event was applied.
    await burst.page.locator(`tr[data-execution="burst0199"] .status`, { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    const rows = burst.page.locator('table.executions tbody tr');
    expect(await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-execution')))).toEqual(ids.slice(-50).reverse());
    expect(new Set(await burst.page.locator('table.executions tbody .status').allTextContents())).toEqual(new Set(['succeeded']));
    // One render per flush (every 100 ms), not one per event: a slow machine may split the burst.
    expect(await burst.page.evaluate<number>('window.rowRenders')).toBeLessThanOrEqual(5);
    await burst.context.close();
  });

  it('opens a deep link to an execution in a new tab after signing in there (the key is kept per tab)', async () => {
    const fresh = await page.context().newPage();
    const freshWatch = (await import('./browser-stack.ts')).watchPage(fresh);
    watches.push(freshWatch);
    await fresh.goto(`${stack.url}/executions/${encodeURIComponent(firstExecution)}`);
    await fresh.waitForURL(/\/login\?next=/);
    await fresh.locator('#credential').fill(stack.key);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.waitForURL((address) => address.pathname === `/executions/${firstExecution}`);
    await fresh.locator('.title-row .status', { hasText: 'succeeded' }).waitFor();
    // The output arrives on its own stream after the record: wait for its last line, then read it all.
    await fresh.locator('pre[data-stream="stdout"]', { hasText: 'second-line' }).waitFor();
    expect(await fresh.locator('pre[data-stream="stdout"]').textContent()).toMatch(/^first-line\nsecond-line\n?$/);
    await fresh.close();
  });

  it('cancels a long execution from its page', async () => {
    const id = await runThroughForm(page, 'sleep 600');
    await page.locator('.title-row .status', { hasText: 'running' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.title-row .status', { hasText: 'canceled' }).waitFor({ timeout: 60_000 });
    expect((await stack.api<{ status: string }>('GET', `/api/v1/executions/${id}`)).body.status).toBe('canceled');
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  });

  it('re-runs an execution with an edited parameter', async () => {
    await page.goto(`${stack.url}/executions/${encodeURIComponent(firstExecution)}`);
    await page.getByText('Re-run…').click();
    await page.locator('#rerun-parameters').fill(JSON.stringify({ cmd: 'echo rerun-done' }));
    await page.getByRole('button', { name: 'Re-run', exact: true }).click();
    await page.waitForURL((address) => address.pathname.startsWith('/executions/') && !address.pathname.endsWith(firstExecution));
    await page.locator('pre[data-stream="stdout"]').getByText('rerun-done').waitFor({ timeout: 60_000 });
  });

  it('shows an observer what it may see and no control it may not use', async () => {
    const created = await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'watcher', role: 'observer' });
    expect(created.status).toBe(201);
    const observer = await newWatchedPage(stack.browser);
    watches.push(observer.watch);
    await signIn(observer.page, stack.url, created.body.key);
    await observer.page.goto(`${stack.url}/actions/core.local`);
    await observer.page.getByText('Your role may look at actions but not run them.').waitFor();
    expect(await observer.page.getByRole('button', { name: 'Run' }).count()).toBe(0);
    await observer.page.goto(`${stack.url}/executions/${encodeURIComponent(firstExecution)}`);
    await observer.page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor();
    expect(await observer.page.getByText('Re-run…').count()).toBe(0);
    // Signing out forgets the key.
    await observer.page.getByRole('button', { name: 'Sign out' }).click();
    await observer.page.waitForURL(/\/login$/);
    expect(await observer.page.evaluate<number>('sessionStorage.length')).toBe(0);
    await observer.context.close();
  });

  it('is readable at 320 px, in the dark theme', async () => {
    const narrow = await newWatchedPage(stack.browser, { viewport: { width: 320, height: 700 }, colorScheme: 'dark' });
    watches.push(narrow.watch);
    await signIn(narrow.page, stack.url, stack.key);
    await narrow.page.locator('tbody tr').first().waitFor();
    const fits = () => narrow.page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth');
    expect(await fits()).toBe(true);
    expect(await narrow.page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(15, 18, 22)');
    await shot(narrow.page, 'executions-320-dark');
    await narrow.page.goto(`${stack.url}/executions/${encodeURIComponent(firstExecution)}`);
    await narrow.page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor();
    expect(await fits()).toBe(true);
    await shot(narrow.page, 'execution-320-dark');
    await narrow.page.goto(`${stack.url}/actions/core.local`);
    await narrow.page.locator('#param-cmd').waitFor();
    expect(await fits()).toBe(true);
    await narrow.context.close();
  });
});
