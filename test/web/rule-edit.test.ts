import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { retryUntil } from '../helpers/retry-until.ts';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';

/**
 * A rule edited as YAML in a real chromium against a real `packrun up`: its file's YAML in the
 * editor, a parse error and the server's refusal shown in place, the saved rule enforced with its
 * new action parameters, and a role that may not change rules not offered the editor. Any console
 * error fails the test; the screenshot goes to docs/web-ui/.
 */
let stack: BrowserStack;
let page: Page;
let watch: PageWatch;

interface Listed {
  id: string;
  status: string;
  result?: { stdout?: string };
}

describe.skipIf(!haveChromium || !builtWebUi)('editing a rule as YAML in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-rule-edit');
    const created = await stack.api('POST', '/api/v1/rules', {
      name: 'on_edit_hook', pack: 'webedit', enabled: true, description: 'before the edit',
      trigger: { type: 'core.st2.webhook', parameters: { url: 'edit-hook' } }, criteria: {},
      action: { ref: 'core.local', parameters: { cmd: 'echo before-edit' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    ({ page, watch } = await newWatchedPage(stack.browser));
    await signIn(page, stack.url, stack.key);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    expect(watch.problems.splice(0)).toEqual([]);
  });

  it("edits a rule's YAML, shows what is wrong in place, and enforces the saved rule", async () => {
    await page.goto(`${stack.url}/rules/webedit.on_edit_hook`);
    await page.getByRole('link', { name: 'Edit as YAML…' }).click();
    await page.waitForURL((address) => address.pathname === '/rules/webedit.on_edit_hook/edit');
    const yaml = page.locator('#rule-yaml');
    await retryUntil(async () => (await yaml.inputValue()).includes('echo before-edit'), { what: 'the rule as YAML' });
    const original = await yaml.inputValue();
    expect(original).toMatch(/^name: on_edit_hook\npack: webedit\n/);
    // The server's fields are not the file's: no id, uid or ref, nor the trigger it made.
    expect(original).not.toMatch(/^(id|uid|ref|type):/m);
    expect(original).not.toContain('core.st2.webhook.');

    await yaml.fill(`${original}\n  broken: [unclosed\n`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#rule-yaml-problem').getByText(/^line \d+: the YAML does not parse/).waitFor();

    await yaml.fill(original.replace('name: on_edit_hook', 'name: renamed'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#rule-yaml-problem').getByText('body.name:', { exact: false }).waitFor();
    expect((await stack.api('GET', '/api/v1/rules/webedit.renamed')).status).toBe(404);
    // The refused PUT's 400 is the browser's own console line about the request, not the app's.
    expect(watch.problems.splice(0).filter((problem) => !problem.includes('status of 400'))).toEqual([]);

    await yaml.fill(original.replace('echo before-edit', 'echo after-edit').replace('before the edit', 'after the edit'));
    await page.screenshot({ path: path.resolve(import.meta.dirname, '../../docs/web-ui/rule-edit.png'), fullPage: true, animations: 'disabled' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((address) => address.pathname === '/rules/webedit.on_edit_hook');
    await page.getByText('after the edit').waitFor();
    const saved = (await stack.api<{ action: { parameters: { cmd: string } }; enabled: boolean }>('GET', '/api/v1/rules/webedit.on_edit_hook')).body;
    expect(saved.action.parameters.cmd).toBe('echo after-edit');
    expect(saved.enabled).toBe(true);

    expect((await stack.api('POST', '/api/v1/webhooks/edit-hook', {})).status).toBe(202);
    await page.locator('tr[data-enforcement]').first().waitFor({ timeout: 60_000 });
    let done: Listed | undefined;
    await retryUntil(async () => {
      done = (await stack.api<Listed[]>('GET', '/api/v1/executions?rule=webedit.on_edit_hook')).body[0];
      return done?.status === 'succeeded';
    }, { withinMs: 60_000, what: "the edited rule's execution" });
    expect(done?.result?.stdout).toContain('after-edit');
  });

  it('offers an observer no editor, and the server refuses its edit', async () => {
    const observer = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'viewer', role: 'observer' })).body.key;
    const other = await newWatchedPage(stack.browser);
    await signIn(other.page, stack.url, observer);
    await other.page.goto(`${stack.url}/rules/webedit.on_edit_hook`);
    await other.page.getByText('after the edit').waitFor();
    expect(await other.page.getByRole('link', { name: 'Edit as YAML…' }).count()).toBe(0);
    await other.page.goto(`${stack.url}/rules/webedit.on_edit_hook/edit`);
    await other.page.getByText('Your role may look at rules but not change them.').waitFor();
    expect(await other.page.locator('#rule-yaml').count()).toBe(0);
    const rule = (await stack.api<Record<string, unknown>>('GET', '/api/v1/rules/webedit.on_edit_hook')).body;
    expect((await stack.api('PUT', '/api/v1/rules/webedit.on_edit_hook', { ...rule, description: 'by an observer' }, observer)).status).toBe(403);
    expect(other.watch.problems).toEqual([]);
    await other.context.close();
  });
});
