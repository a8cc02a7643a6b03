import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/** Debian's chromium (scripts/setup.sh installs it); playwright-core brings no browser of its own. */
export const chromiumPath = process.env['PACKRUN_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);
export const builtWebUi = existsSync(path.resolve(import.meta.dirname, '../../packages/web/dist/index.html'));

/**
 * A real `packrun up` as a process of its own (the web UI it serves built by scripts/setup.sh),
 * and a headless chromium to drive it. `gate` is a folder core's jobs may read (granted by
 * PACKRUN_SANDBOX_HOST_PATHS): an action waits there for a file the test writes, so "while it
 * runs" is a state the test controls, never a guess at a duration.
 */
export interface BrowserStack {
  url: string;
  /** The server's PACKRUN_HOME. */
  home: string;
  /** The system_admin key `packrun up` wrote for the CLI. */
  key: string;
  gate: string;
  server: PackrunProcess;
  browser: Browser;
  api<T = unknown>(method: string, route: string, body?: unknown, key?: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startBrowserStack(name: string): Promise<BrowserStack> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), `packrun-${name}-`));
  // The job uids must reach the gate: the scratch folder is made traversable, the gate readable.
  await chmod(scratch, 0o755);
  const gate = path.join(scratch, 'gate');
  await mkdir(gate, { mode: 0o755 });
  await chmod(gate, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PACKRUN_HOME: path.join(scratch, 'home'),
    PACKRUN_API_PORT: String(port),
    PACKRUN_API_URL: url,
    PACKRUN_KILL_GRACE: '1',
    // Every request is logged, so a test can look for credentials in the server's log.
    PACKRUN_LOG_LEVEL: 'info',
    PACKRUN_SANDBOX_HOST_PATHS: `core=${gate}`,
  };
  const server = startPackrun(['up'], env);
  let browser: Browser | undefined;
  try {
    await server.waitForOutput(/packrun is up/, 120_000);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
  } catch (error) {
    server.signal('SIGTERM');
    await server.exited;
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  const key = (await readFile(path.join(env.PACKRUN_HOME, 'secrets', 'cli-api-key'), 'utf8')).trim();
  const opened = browser;
  return {
    url,
    home: env.PACKRUN_HOME,
    key,
    gate,
    server,
    browser: opened,
    async api<T>(method: string, route: string, body?: unknown, withKey = key) {
      const response = await fetch(new URL(route, url), {
        method,
        headers: { 'St2-Api-Key': withKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      await opened.close().catch(() => undefined);
      server.signal('SIGTERM');
      await server.exited;
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** What a page said and did that a test must see: console errors, page errors, dialogs, every console line. */
export interface PageWatch {
  /** Console errors and uncaught exceptions: a test fails on any. */
  problems: string[];
  /** Every console message, whatever its level. */
  messages: string[];
  /** Every dialog (alert, confirm, prompt) the page opened; each is dismissed. */
  dialogs: string[];
  /** Every URL the page's main frame showed. */
  addresses: string[];
}

export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { problems: [], messages: [], dialogs: [], addresses: [] };
  page.on('console', (message) => {
    watch.messages.push(`${message.type()}: ${message.text()}`);
    if (message.type() === 'error') watch.problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => watch.problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) watch.addresses.push(frame.url());
  });
  return watch;
}

export async function newWatchedPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  const page = await context.newPage();
  return { context, page, watch: watchPage(page) };
}

/** Signs in on the login page with an API key, as a user would, and waits for the executions. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.locator('#credential').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/executions$/);
}
