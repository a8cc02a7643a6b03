import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack } from '../web/browser-stack.ts';
import { installFolderPack } from '../web/folder-pack.ts';

/**
 * The task graph's sources attacked, against a real `packrun up` and in a real chromium: the entry
 * point route (`GET /api/v1/actions/views/entry_point/{ref}`) refuses a caller without a
 * credential and will not follow a link in a pack's folder out to a host file; markup in a
 * workflow's task names and conditions is drawn as text, never as elements. The execution list's
 * filters, taken from the page's address, are shown as text and sent as query values only; a time
 * that is not one is dropped, not sent. The health page's sandbox report (`GET /api/v1/sandbox`)
 * refuses a caller without a credential and tells an observer only about the layers: no host path
 * granted, no key, no secret of the server's. A rule's markup is put in its YAML editor as text.
 */
let stack: BrowserStack;
const img = '<img src=x onerror="alert(1)">';
/** Markup in a condition: YAQL's single-quoted string, in a double-quoted YAML one. */
const marked = '<img src=x onerror=alert(1)>';

describe.skipIf(!haveChromium || !builtWebUi)('the workflow graph under attack (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-ui-workflow-attacks');
    await installFolderPack(stack, 'wfevil', {
      'actions/marked.yaml': 'name: marked\nrunner_type: action-chain\nentry_point: chains/marked.yaml\nenabled: true\n',
      'actions/chains/marked.yaml': `chain:\n  - name: '${img}'\n    ref: core.noop\n    on-success: '</text><script>alert(2)</script>'\n  - name: '</text><script>alert(2)</script>'\n    ref: core.noop\n`,
      'actions/flow.yaml': 'name: flow\nrunner_type: orquesta\nentry_point: workflows/flow.yaml\nenabled: true\n',
      'actions/workflows/flow.yaml': `version: 1.0\ntasks:\n  first:\n    action: core.noop\n    next:\n      - when: "<% succeeded() and '${marked}' != '' %>"\n        do: second\n  second:\n    action: core.noop\n`,
    });
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('refuses the entry point to a caller without a credential', async () => {
    const response = await fetch(`${stack.url}/api/v1/actions/views/entry_point/wfevil.flow`);
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain('tasks:');
  });

  it("serves a pack's file as plain text that is never sniffed as a page", async () => {
    const response = await fetch(`${stack.url}/api/v1/actions/views/entry_point/wfevil.marked`, { headers: { 'St2-Api-Key': stack.key } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain(img);
  });

  it("draws markup in task names and conditions as text", async () => {
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    const started = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'wfevil.marked' });
    expect(started.status).toBe(201);
    await page.goto(`${stack.url}/executions/${started.body.id}`);
    await page.locator(`svg.task-graph g[data-task='${img}'][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    await page.locator(`svg.task-graph g[data-task="</text><script>alert(2)</script>"][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator('svg.task-graph').textContent()).toContain('</text><script>alert(2)</script>');
    const flow = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'wfevil.flow' });
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    await page.goto(`${stack.url}/executions/${flow.body.id}`);
    await page.locator('svg.task-graph g[data-task="second"][data-status="succeeded"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('svg.task-graph path.transition-condition title').textContent()).toContain(marked);
    expect(await page.locator('main img, main script, svg.task-graph foreignObject').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();
  });
  it("shows hostile filter values from the address as text and sends them only as values", async () => {
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    const requests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/executions?')) requests.push(request.url());
    });
    const hostile = `"><script>alert(3)</script>${img}`;
    await page.goto(`${stack.url}/executions?pack=${encodeURIComponent(hostile)}&user=${encodeURIComponent('bob&user=admin')}&timestamp_gt=${encodeURIComponent('<b>soon</b>')}`);
    await page.getByText('No executions match these filters.').waitFor();
    expect(await page.getByLabel('Pack').inputValue()).toBe(hostile);
    expect(await page.getByLabel('User').inputValue()).toBe('bob&user=admin');
    const sent = new URL(requests.at(-1)!);
    expect(sent.searchParams.get('pack')).toBe(hostile);
    expect(sent.searchParams.getAll('user')).toEqual(['bob&user=admin']);
    expect(sent.searchParams.has('timestamp_gt')).toBe(false);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('tells what doctor says of the layers and nothing of the host: no grant, key or secret', async () => {
    expect((await fetch(`${stack.url}/api/v1/sandbox`)).status).toBe(401);
    const observer = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'looker', role: 'observer' })).body.key;
    const response = await fetch(`${stack.url}/api/v1/sandbox`, { headers: { 'St2-Api-Key': observer } });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(['layers', 'limits', 'missing_required', 'warm_spawn']);
    // The stack grants core's jobs a host folder (PACKRUN_SANDBOX_HOST_PATHS): doctor prints it, the API does not.
    expect(text).not.toContain(stack.gate);
    expect(text).not.toContain(stack.key);
    expect(text).not.toContain(observer);
    // Nothing under the server's data folder (its secrets/ among it), no broker URL.
    expect(text).not.toContain(path.dirname(stack.gate));
    expect(text).not.toMatch(/amqps?:\/\//);
  });

  it("puts a rule's markup in its YAML editor as text", async () => {
    const created = await stack.api('POST', '/api/v1/rules', {
      name: 'marked', pack: 'wfevil', description: `${img}</textarea><script>alert(4)</script>`,
      trigger: { type: 'core.st2.webhook', parameters: { url: 'marked-edit' } }, criteria: {},
      action: { ref: 'core.local', parameters: { cmd: `echo '${img}'` } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    await page.goto(`${stack.url}/rules/wfevil.marked/edit`);
    const editor = page.locator('#rule-yaml');
    await editor.waitFor();
    expect(await editor.inputValue()).toContain('</textarea><script>alert(4)</script>');
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it("will not follow a link in the pack's folder out to a host file", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'packrun-host-file-'));
    const secret = path.join(outside, 'host-secret');
    await writeFile(secret, 'host-secret-content\n');
    const pack = (await stack.api<{ path: string }>('GET', '/api/v1/packs/wfevil')).body.path;
    const file = path.join(pack, 'actions', 'workflows', 'flow.yaml');
    await chmod(path.dirname(file), 0o755).catch(() => undefined);
    await rm(file);
    await symlink(secret, file);
    try {
      const response = await fetch(`${stack.url}/api/v1/actions/views/entry_point/wfevil.flow`, { headers: { 'St2-Api-Key': stack.key } });
      const text = await response.text();
      expect(response.status).toBe(409);
      expect(JSON.parse(text)).toMatchObject({ code: 'ENTRY_POINT_UNREADABLE' });
      expect(text).not.toContain('host-secret-content');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

});
