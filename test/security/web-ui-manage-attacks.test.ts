import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryUntil } from '../helpers/retry-until.ts';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack } from '../web/browser-stack.ts';

/**
 * What the web UI's packs, rules and inquiries views open up, attacked in a real browser against
 * a real `packrun up`: markup in a pack source, a rule's YAML and an inquiry's schema shown as
 * text (a refused source is echoed back in the server's error), a YAML tag that would build code
 * refused before anything is sent, and an observer neither offered install, remove, rule creation
 * nor a response, and refused by the server when it sends them itself.
 */
let stack: BrowserStack;
let observerKey: string;

const img = '<img src=x onerror="alert(1)">';
/** Markup without spaces: the install field takes several sources separated by spaces. */
const spaceless = '<svg/onload=alert(1)><img/src=x/onerror=alert(2)>';

describe.skipIf(!haveChromium || !builtWebUi)('the web UI management views under attack (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-ui-manage-attacks');
    const created = await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'peeker', role: 'observer' });
    observerKey = created.body.key;
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('shows markup in a refused pack source and in a rule as text, and refuses YAML tags that build code', async () => {
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    await page.goto(`${stack.url}/packs`);
    await page.locator('#pack-source').fill(`relative/${spaceless}`);
    await page.getByRole('button', { name: 'Install' }).click();
    // The server's refusal echoes the source: on the page as characters, not as an element.
    await page.getByRole('alert').getByText('PACK_SOURCE_INVALID').waitFor();
    expect(await page.getByRole('alert').first().textContent()).toContain(spaceless);

    await page.goto(`${stack.url}/rules/new`);
    await page.locator('#rule-yaml').fill('name: evil\npack: webtests\ntrigger:\n  type: core.st2.webhook\n  parameters:\n    url: evil\naction: !!js/function "function () { alert(1) }"\n');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#rule-yaml-problem').getByText(/does not parse/).waitFor();
    expect((await stack.api('GET', '/api/v1/rules/webtests.evil')).status).toBe(404);

    await page.locator('#rule-yaml').fill(`name: shown\npack: webtests\nenabled: true\ndescription: '${img}<script>alert(2)</script>'\ntrigger:\n  type: core.st2.webhook\n  parameters:\n    url: shown\naction:\n  ref: core.local\n  parameters:\n    cmd: echo '${img}'\n`);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL((address) => address.pathname === '/rules/webtests.shown');
    await page.getByText(`${img}<script>alert(2)</script>`).waitFor();
    await page.getByText('Definition').click();
    expect(await page.getByTestId('rule-json').textContent()).toContain('onerror');
    await page.goto(`${stack.url}/rules`);
    await page.locator('tr[data-rule="webtests.shown"]').waitFor();

    expect(await page.locator('img, svg, main script, iframe').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    // The refused install's 400 is the browser's own console line about the request.
    expect(watch.problems.filter((problem) => !problem.includes('400'))).toEqual([]);
    await context.close();
  });

  it("shows markup in an inquiry's schema as text", async () => {
    const schema = { type: 'object', description: img, properties: { answer: { type: 'string', description: `<b onmouseover="alert(3)">${img}</b>` } } };
    const asked = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'core.ask', parameters: { schema } });
    expect(asked.status).toBe(201);
    await retryUntil(async () => (await stack.api<{ status: string }>('GET', `/api/v1/executions/${asked.body.id}`)).body.status === 'pending', { what: 'the inquiry pending' });
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, stack.key);
    await page.goto(`${stack.url}/inquiries/${encodeURIComponent(asked.body.id)}`);
    await page.locator('#param-answer').waitFor();
    expect(await page.locator('main').textContent()).toContain(`<b onmouseover="alert(3)">${img}</b>`);
    expect(await page.locator('img, main b, main script').count()).toBe(0);
    expect(watch.dialogs).toEqual([]);
    expect(watch.problems).toEqual([]);
    await context.close();
  });

  it('offers an observer no install, remove, rule creation or response, and the server refuses each anyway', async () => {
    const asked = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'core.ask', parameters: {} });
    await retryUntil(async () => (await stack.api<{ status: string }>('GET', `/api/v1/executions/${asked.body.id}`)).body.status === 'pending', { what: 'the inquiry pending' });
    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, observerKey);
    await page.goto(`${stack.url}/packs`);
    await page.locator('tr[data-pack="core"]').waitFor();
    expect(await page.locator('#pack-source').count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    await page.goto(`${stack.url}/rules/new`);
    await page.getByText('Your role may look at rules but not create them.').waitFor();
    await page.goto(`${stack.url}/inquiries/${encodeURIComponent(asked.body.id)}`);
    await page.getByText('Your role may look at inquiries but not respond to them.').waitFor();
    expect(await page.getByRole('button', { name: 'Respond' }).count()).toBe(0);
    expect(watch.problems).toEqual([]);
    await context.close();

    // The same requests sent by hand with the observer's key: refused by the server.
    for (const [method, route, body] of [
      ['POST', '/api/v1/packs/install', { packs: ['/tmp'] }],
      ['POST', '/api/v1/packs/uninstall', { packs: ['core'] }],
      ['POST', '/api/v1/rules', { name: 'sneaky', pack: 'webtests', trigger: { type: 'core.st2.webhook', parameters: { url: 'sneaky' } }, action: { ref: 'core.local' } }],
      ['PUT', '/api/v1/rules/webtests.shown', { name: 'shown', pack: 'webtests', enabled: false, trigger: { type: 'core.st2.webhook' }, action: { ref: 'core.local' } }],
      ['PUT', `/api/v1/inquiries/${asked.body.id}`, { response: { continue: true } }],
    ] as const) {
      const answer = await stack.api<{ code: string }>(method, route, body, observerKey);
      expect({ route, status: answer.status, code: answer.body.code }).toEqual({ route, status: 403, code: 'API_ROLE_FORBIDDEN' });
    }
    expect((await stack.api<{ status: string }>('GET', `/api/v1/executions/${asked.body.id}`)).body.status).toBe('pending');
  });
});
