import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack } from './browser-stack.ts';

/**
 * The health page's sandbox section in a real chromium against a real `packrun up`: the layers
 * `packrun doctor --json` reports on this host, each active or not with why, the job limits and
 * warm spawning, shown to an observer too (GET /api/v1/sandbox is a read). Any console error
 * fails the test; the screenshot goes to docs/web-ui/.
 */
let stack: BrowserStack;

describe.skipIf(!haveChromium || !builtWebUi)("the health page's sandbox layers in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)", () => {
  beforeAll(async () => {
    stack = await startBrowserStack('web-health');
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("shows an observer each layer as packrun doctor reports it, with the job limits", async () => {
    const report = await stack.api<{ layers: Array<{ name: string; active: boolean; reason: string }>; limits: { defaults: { memory_mb: number } }; warm_spawn: { active: boolean } }>('GET', '/api/v1/sandbox');
    expect(report.status).toBe(200);
    expect(report.body.layers.map((layer) => layer.name)).toEqual(expect.arrayContaining(['bubblewrap', 'user']));
    const observer = (await stack.api<{ key: string }>('POST', '/api/v1/apikeys', { user: 'watcher', role: 'observer' })).body.key;

    const { page, watch, context } = await newWatchedPage(stack.browser);
    await signIn(page, stack.url, observer);
    await page.goto(`${stack.url}/health`);
    for (const layer of report.body.layers) {
      const row = page.locator(`tr[data-layer="${layer.name}"]`);
      await row.waitFor({ timeout: 60_000 });
      expect(await row.locator('[data-label="State"]').textContent()).toContain(layer.active ? 'active' : 'inactive');
      expect(await row.locator('[data-label="Why"]').textContent()).toBe(layer.reason);
    }
    await page.getByText(`memory ${report.body.limits.defaults.memory_mb} /`).waitFor();
    await page.getByText(report.body.warm_spawn.active ? /Warm spawning: on, / : /Warm spawning: off, /).waitFor();
    await page.screenshot({ path: path.resolve(import.meta.dirname, '../../docs/web-ui/health-sandbox.png'), fullPage: true, animations: 'disabled' });
    expect(watch.problems).toEqual([]);
    await context.close();
  });
});
