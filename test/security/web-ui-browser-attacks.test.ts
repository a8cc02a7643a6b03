import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack } from '../web/browser-stack.ts';

/**
 * The web UI attacked through what it shows, in a real browser against a real `packrun up`: an
 * execution whose parameters, stdout and result hold markup that would run script if it were
 * ever rendered as HTML, and the credentials the app carries (the stream's URL has them in its
 * query, as EventSource cannot set headers) looked for everywhere the app or the server logs.
 */
let stack: BrowserStack;

const markup = [
  '<img src=x onerror="alert(\'img\')">',
  '<script>alert("script")</script>',
  '<svg onload="alert(\'svg\')"></svg>',
  '"><iframe srcdoc="<script>alert(1)</script>"></iframe>',
];

describe.skipIf(!haveChromium || !builtWebUi)('the web UI under attack (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-ui-attacks');
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('shows markup in parameters, output and result as text: nothing of it runs or loads', async () => {
    const cmd = `printf '%s\\n' ${markup.map((line) => `'${line.replaceAll("'", "'\\''")}'`).join(' ')}`;
    const created = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'core.local', parameters: { cmd } });
    expect(created.status).toBe(201);
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    await page.goto(`${stack.url}/executions/${encodeURIComponent(created.body.id)}`);
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    await page.getByText('Raw JSON').click();
    await page.getByText('Re-run…').click();
    // The output is on the page, as the characters the action printed.
    expect(await page.locator('pre[data-stream="stdout"]').textContent()).toBe(markup.join('\n'));
    expect(await page.getByTestId('result-tree').textContent()).toContain('<img src=x onerror=');
    expect(await page.getByTestId('result-json').textContent()).toContain('<script>alert(\\"script\\")</script>');
    // None of it became an element, a dialog or an error (a blocked inline handler or a failed image load would be one).
    expect(await page.locator('img, svg, iframe, main script').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('keeps API keys and tokens out of every address the app shows, its console and the server log', async () => {
    const token = await stack.api<{ token: string }>('POST', '/auth/v1/tokens', { ttl: 600 });
    expect(token.status).toBe(201);
    const secrets = [stack.key, token.body.token];
    // Signed in once with the key, once with the token; each opens the event streams (credential in their query).
    const key = await newWatchedPage(stack.browser);
    await signIn(key.page, stack.url, stack.key);
    await key.page.locator('.live', { hasText: 'Live' }).waitFor();
    const withToken = await newWatchedPage(stack.browser);
    await withToken.page.goto(`${stack.url}/login`);
    await withToken.page.getByLabel('Token').check();
    await withToken.page.locator('#credential').fill(token.body.token);
    await withToken.page.getByRole('button', { name: 'Sign in' }).click();
    await withToken.page.waitForURL(/\/executions$/);
    await withToken.page.locator('.live', { hasText: 'Live' }).waitFor();
    const listed = await stack.api<Array<{ id: string }>>('GET', '/api/v1/executions?limit=1');
    await withToken.page.goto(`${stack.url}/executions/${encodeURIComponent(listed.body[0]!.id)}`);
    await withToken.page.locator('.title-row .status').waitFor();
    expect((await stack.api<{ username: string; authentication: { method: string } }>('GET', '/api/v1/user')).status).toBe(200);

    for (const { watch } of [key, withToken]) {
      expect(watch.problems).toEqual([]);
      for (const secret of secrets) {
        expect(watch.addresses.filter((address) => address.includes(secret))).toEqual([]);
        expect(watch.messages.filter((message) => message.includes(secret))).toEqual([]);
      }
    }
    // The server logged the stream requests (their credential redacted) and never a credential.
    const log = stack.server.output();
    expect(log).toContain('/api/v1/stream');
    for (const secret of secrets) expect(log).not.toContain(secret);
    await key.context.close();
    await withToken.context.close();
  });
});
