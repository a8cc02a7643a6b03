import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { dataPaths, readInstalledPack } from '@packrun/core';
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

/** A link of the header's section menu (a page may have other links of the same name). */
const section = (target: Page, name: string) => target.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name });

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

    await section(page, 'Inquiries').click();
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

  it('installs a pack from a folder, its progress arriving live, shows its env and a failed build of the next version, then removes it', async () => {
    const folder = path.join(packs, 'webdemo');
    await mkdir(path.join(folder, 'actions'), { recursive: true });
    await writeFile(path.join(folder, 'pack.yaml'), 'ref: webdemo\nname: webdemo\nversion: 1.2.3\ndescription: A pack the web UI installs\nauthor: tests\nemail: tests@example.com\npython_versions:\n  - "3"\n');
    await writeFile(path.join(folder, 'actions', 'hi.yaml'), 'name: hi\nrunner_type: local-shell-cmd\ndescription: says hi\nparameters:\n  cmd:\n    default: echo hi\n');
    // Python code gives the pack a virtualenv (without requirements: nothing to download).
    await mkdir(path.join(folder, 'actions', 'lib'));
    await writeFile(path.join(folder, 'actions', 'lib', 'greeting.py'), 'GREETING = "hi"\n');

    await section(page, 'Packs').click();
    await page.waitForURL(/\/packs$/);
    await page.locator('tr[data-pack="core"]').waitFor();
    await page.locator('#pack-source').fill(folder);
    await page.getByRole('button', { name: 'Install' }).click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    // The install's execution page: its progress lines arrive as it goes, then it succeeds.
    await page.locator('pre[data-stream="stdout"]').getByText(/webdemo/).first().waitFor({ timeout: 120_000 });
    const ended = page.locator('.title-row .status', { hasText: /^(succeeded|failed)$/ });
    await ended.waitFor({ timeout: 180_000 });
    expect(await ended.textContent(), (await page.locator('pre[data-stream="stdout"]').textContent()) ?? '').toBe('succeeded');
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toContain('webdemo 1.2.3');
    await shot(page, 'pack-install');

    await section(page, 'Packs').click();
    const row = page.locator('tr[data-pack="webdemo"]');
    await row.waitFor();
    expect(await row.locator('[data-label="Version"]').textContent()).toBe('1.2.3');
    expect(await row.locator('[data-label="Source"]').textContent()).toContain(folder);
    // The env its actions run with and the interpreter that built it, as that venv's python says.
    const venvPython = (await readInstalledPack(dataPaths(stack.home), 'webdemo')).env.python!;
    const [implementation, version] = execFileSync(venvPython, ['-I', '-c', 'import sys,platform;print(sys.implementation.name);print(platform.python_version())'], { encoding: 'utf8' }).trim().split('\n');
    expect(await row.locator('[data-label="Environment"]').textContent()).toBe('Python virtualenv ready');
    expect(await row.locator('[data-label="Environment"] .status-ready').count()).toBe(1);
    expect(await row.locator('[data-label="Python"]').textContent()).toBe(`${implementation === 'cpython' ? 'CPython' : implementation} ${version}`);
    expect(await page.locator('tr[data-pack="core"] [data-label="Environment"]').textContent()).toMatch(/ready|None needed/);
    await shot(page, 'packs');

    // A next version whose requirements cannot be installed: the active one stays, the failure is said beside it.
    const broken = path.join(packs, 'broken', 'webdemo');
    await mkdir(path.dirname(broken), { recursive: true });
    await cp(folder, broken, { recursive: true });
    await writeFile(path.join(broken, 'pack.yaml'), 'ref: webdemo\nname: webdemo\nversion: 1.3.0\ndescription: A pack the web UI installs\nauthor: tests\n');
    await writeFile(path.join(broken, 'requirements.txt'), 'packrun-no-such-distribution-7f3a==9.9.9\n');
    const failing = await stack.api<{ execution_id: string }>('POST', '/api/v1/packs/install', { packs: [broken] });
    expect(failing.status).toBe(202);
    await retryUntil(async () => (await stack.api<{ status: string }>('GET', `/api/v1/executions/${failing.body.execution_id}`)).body.status === 'failed', { withinMs: 120_000, what: 'the broken install failed' });
    await page.reload();
    const build = row.locator('[data-label="Environment"] .env-build');
    await build.waitFor();
    expect(await row.locator('[data-label="Version"]').textContent()).toBe('1.2.3');
    expect(await build.locator('.status-failed').textContent()).toBe('failed');
    expect(await build.textContent()).toMatch(/the last install failed: building the Python environment of pack "webdemo"/);
    expect(await build.getByRole('link').getAttribute('href')).toBe(`/executions/${failing.body.execution_id}`);
    expect(await row.locator('[data-label="Environment"] .status-ready').count()).toBe(1);

    await row.getByRole('button', { name: 'Remove webdemo' }).click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    expect((await stack.api('GET', '/api/v1/packs/webdemo')).status).toBe(404);
  }, 300_000);

  it('creates a rule from YAML, the server\'s refusal shown in place, switches it, and shows the enforcement its webhook caused', async () => {
    await section(page, 'Rules').click();
    await page.waitForURL(/\/rules$/);
    await page.getByRole('link', { name: 'Create a rule…' }).click();
    await page.waitForURL(/\/rules\/new$/);
    const yaml = page.locator('#rule-yaml');
    // YAML that does not parse: the line is named, nothing is sent.
    await yaml.fill('name: broken\npack: webtests\ntrigger: [unclosed\n');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#rule-yaml-problem').getByText(/line \d+: the YAML does not parse/).waitFor();
    // A rule the server refuses (its trigger type does not exist): the server's message and code, under the text.
    await yaml.fill('name: on_hook\npack: webtests\ntrigger:\n  type: nosuch.trigger\naction:\n  ref: core.local\n');
    await page.getByRole('button', { name: 'Create' }).click();
    const refusal = page.locator('#rule-yaml-problem');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/nosuch\.trigger[\s\S]*TRIGGER_TYPE_NOT_FOUND/);
    expect(await yaml.getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'rule-create-refused');
    expect((await stack.api('GET', '/api/v1/rules/webtests.on_hook')).status).toBe(404);
    // The refusal's 400 is the browser's own console line about the request, not the app's.
    const refusedRequest = watch.problems.findIndex((problem) => problem.includes('status of 400') && problem.includes('/api/v1/rules'));
    expect(refusedRequest).toBeGreaterThanOrEqual(0);
    watch.problems.splice(refusedRequest, 1);

    await yaml.fill(
      'name: on_hook\npack: webtests\ndescription: Echo the <i>hook</i>\nenabled: true\ntrigger:\n  type: core.st2.webhook\n  parameters:\n    url: web-ui-hook\ncriteria: {}\naction:\n  ref: core.local\n  parameters:\n    cmd: echo "{{ trigger.body.word }}"\n',
    );
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL((address) => address.pathname === '/rules/webtests.on_hook');
    await page.getByText('Echo the <i>hook</i>').waitFor();
    expect(await page.locator('main i').count()).toBe(0);
    await page.getByText(/None yet/).waitFor();

    // Fired from outside: the enforcement arrives on the open page, with the execution it started.
    expect((await stack.api('POST', '/api/v1/webhooks/web-ui-hook', { word: 'hello-rule' })).status).toBe(202);
    const enforcement = page.locator('tr[data-enforcement]').first();
    await enforcement.waitFor({ timeout: 60_000 });
    await shot(page, 'rule');
    await enforcement.locator('[data-label="Execution"] a').click();
    await page.waitForURL(/\/executions\/[^/]+$/);
    await page.locator('pre[data-stream="stdout"]').getByText('hello-rule').waitFor({ timeout: 60_000 });

    // Switched off and on again from the list.
    await page.goto(`${stack.url}/rules`);
    const toggle = page.getByRole('checkbox', { name: 'webtests.on_hook enabled' });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await page.locator('tr[data-rule="webtests.on_hook"]').getByText('off').waitFor();
    expect((await stack.api<{ enabled: boolean }>('GET', '/api/v1/rules/webtests.on_hook')).body.enabled).toBe(false);
    await shot(page, 'rules');
    await toggle.click();
    await page.locator('tr[data-rule="webtests.on_hook"]').getByText('on', { exact: true }).waitFor();
    expect((await stack.api<{ enabled: boolean }>('GET', '/api/v1/rules/webtests.on_hook')).body.enabled).toBe(true);
  }, 180_000);

  it('offers an observer no install, remove, rule creation or response, and the server refuses them anyway', async () => {
    const created = await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'looker', role: 'observer' });
    expect(created.status).toBe(201);
    const observer = await newWatchedPage(stack.browser);
    watches.push(observer.watch);
    await signIn(observer.page, stack.url, created.body.key);
    await observer.page.goto(`${stack.url}/packs`);
    await observer.page.locator('tr[data-pack="core"]').waitFor();
    expect(await observer.page.getByRole('button', { name: 'Install' }).count()).toBe(0);
    expect(await observer.page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    await observer.page.goto(`${stack.url}/rules`);
    await observer.page.getByRole('heading', { name: 'Rules' }).waitFor();
    expect(await observer.page.getByRole('link', { name: 'Create a rule…' }).count()).toBe(0);
    expect(await observer.page.getByRole('checkbox').count()).toBe(0);
    await observer.page.goto(`${stack.url}/rules/new`);
    await observer.page.getByText('Your role may look at rules but not create them.').waitFor();
    expect(await observer.page.locator('#rule-yaml').count()).toBe(0);
    await observer.context.close();
  });
});
