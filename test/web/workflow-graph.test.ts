import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { builtWebUi, haveChromium, newWatchedPage, signIn, startBrowserStack, type BrowserStack, type PageWatch } from './browser-stack.ts';
import { installFolderPack } from './folder-pack.ts';

/**
 * A workflow's task graph on its execution page, in a real chromium against a real `packrun up`:
 * an Orquesta workflow with a sequential step, two parallel branches and a join, one branch held
 * on a gate file the test releases, so the nodes are seen changing state live; an action chain's
 * links and failure path. Any console error fails the test; the screenshot goes to docs/web-ui/.
 */
const shots = path.resolve(import.meta.dirname, '../../docs/web-ui');
let stack: BrowserStack;
let page: Page;
let watch: PageWatch;

/** A node's top: laid out once the page has read the workflow's children too, so waited for until it has a box. */
async function top(name: string): Promise<number> {
  let box: { y: number } | null = null;
  await expect.poll(async () => (box = await task(name).boundingBox()) !== null, { timeout: 30_000 }).toBe(true);
  return box!.y;
}

const task = (name: string, status?: string) => page.locator(`svg.task-graph g[data-task="${name}"]${status === undefined ? '' : `[data-status="${status}"]`}`);

describe.skipIf(!haveChromium || !builtWebUi)('the workflow task graph in a real browser (skipped without /usr/bin/chromium or a built UI: run scripts/setup.sh)', () => {
  beforeAll(async () => {
    await mkdir(shots, { recursive: true });
    stack = await startBrowserStack('web-workflows');
    const release = path.join(stack.gate, 'release-left');
    await installFolderPack(stack, 'wfdemo', {
      'actions/branches.yaml': 'name: branches\nrunner_type: orquesta\nentry_point: workflows/branches.yaml\ndescription: a step, two branches in parallel, a join\nenabled: true\n',
      'actions/workflows/branches.yaml': [
        'version: 1.0',
        'tasks:',
        '  prepare:',
        '    action: core.local',
        '    input:',
        '      cmd: echo prepared',
        '    next:',
        '      - when: <% succeeded() %>',
        '        do: left, right',
        '  left:',
        '    action: core.local',
        '    input:',
        `      cmd: while [ ! -e ${release} ]; do sleep 0.1; done; echo left`,
        '    next:',
        '      - when: <% succeeded() %>',
        '        do: merge',
        '  right:',
        '    action: core.local',
        '    input:',
        '      cmd: echo right',
        '    next:',
        '      - when: <% succeeded() %>',
        '        do: merge',
        '      - when: <% failed() %>',
        '        do: cleanup',
        '  merge:',
        '    join: all',
        '    action: core.local',
        '    input:',
        '      cmd: echo merged',
        '  cleanup:',
        '    action: core.noop',
        '',
      ].join('\n'),
      'actions/held.yaml': 'name: held\nrunner_type: orquesta\nentry_point: workflows/held.yaml\ndescription: a task held on a gate, then one more\nenabled: true\n',
      'actions/workflows/held.yaml': [
        'version: 1.0',
        'tasks:',
        '  hold:',
        '    action: core.local',
        '    input:',
        `      cmd: while [ ! -e ${path.join(stack.gate, 'release-held')} ]; do sleep 0.1; done; echo held`,
        '    next:',
        '      - when: <% succeeded() %>',
        '        do: after',
        '  after:',
        '    action: core.local',
        '    input:',
        '      cmd: echo after',
        '',
      ].join('\n'),
      'actions/chained.yaml': 'name: chained\nrunner_type: action-chain\nentry_point: chains/chained.yaml\ndescription: two links and a failure path\nenabled: true\n',
      'actions/chains/chained.yaml': [
        'chain:',
        '  - name: first',
        '    ref: core.local',
        '    parameters:',
        '      cmd: echo first',
        '    on-success: second',
        '    on-failure: recover',
        '  - name: second',
        '    ref: core.local',
        '    parameters:',
        '      cmd: echo second',
        '  - name: recover',
        '    ref: core.noop',
        'default: first',
        '',
      ].join('\n'),
    });
    ({ page, watch } = await newWatchedPage(stack.browser));
    await signIn(page, stack.url, stack.key);
  }, 400_000);

  afterAll(async () => {
    await stack?.close();
  });

  afterEach(() => {
    expect(watch.problems.splice(0)).toEqual([]);
  });

  it("draws an Orquesta workflow's tasks and transitions and shows each task's status change live", async () => {
    const started = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'wfdemo.branches' });
    expect(started.status).toBe(201);
    await page.goto(`${stack.url}/executions/${started.body.id}`);
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    // Every task of the file is a node, before it has run.
    for (const name of ['prepare', 'left', 'right', 'merge', 'cleanup']) await task(name).waitFor();
    // prepare → left, prepare → right, left → merge, right → merge (success), right → cleanup (failure).
    expect(await page.locator('svg.task-graph path.transition-success').count()).toBe(4);
    expect(await page.locator('svg.task-graph path.transition-failure').count()).toBe(1);
    // Rows: prepare above both branches, the branches above the join.
    expect(await top('prepare')).toBeLessThan(await top('left'));
    expect(await top('left')).toBe(await top('right'));
    expect(await top('right')).toBeLessThan(await top('merge'));

    // left waits on the gate: prepare and right finish while it runs, the join has not started.
    await task('prepare', 'succeeded').waitFor({ timeout: 60_000 });
    await task('right', 'succeeded').waitFor({ timeout: 60_000 });
    await task('left', 'running').waitFor({ timeout: 60_000 });
    expect(await task('merge').getAttribute('data-status')).toBe('not started');
    expect(await task('cleanup').getAttribute('data-status')).toBe('not started');
    await page.locator('.title-row .status', { hasText: 'running' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'workflow-running.png'), fullPage: true, animations: 'disabled' });

    // Released: the branch and the join succeed on the page without a reload.
    const before = watch.addresses.length;
    await writeFile(path.join(stack.gate, 'release-left'), '');
    await task('left', 'succeeded').waitFor({ timeout: 60_000 });
    await task('merge', 'succeeded').waitFor({ timeout: 60_000 });
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    expect(watch.addresses.length).toBe(before);
    expect(await task('cleanup').getAttribute('data-status')).toBe('not started');
    expect(await page.locator('table.children tbody tr').count()).toBe(4);
    await page.screenshot({ path: path.join(shots, 'workflow.png'), fullPage: true, animations: 'disabled' });

    // A node links to its task's execution, whose page links back to the workflow.
    const children = (await stack.api<Array<{ id: string; context: { orquesta?: { task_name?: string } } }>>('GET', `/api/v1/executions/${started.body.id}/children`)).body;
    const left = children.find((child) => child.context.orquesta?.task_name === 'left');
    expect(left).toBeDefined();
    await page.locator('svg.task-graph a', { has: page.locator('g[data-task="left"]') }).click();
    await page.waitForURL((address) => address.pathname === `/executions/${left!.id}`);
    await page.locator('pre[data-stream="stdout"]').getByText('left').waitFor();
    await page.getByRole('link', { name: started.body.id }).waitFor();
  });

  it('pauses a workflow from its page: its running task finishes, the next waits until Resume', async () => {
    const started = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'wfdemo.held' });
    expect(started.status).toBe(201);
    await page.goto(`${stack.url}/executions/${started.body.id}`);
    await task('hold', 'running').waitFor({ timeout: 60_000 });
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.title-row .status', { hasText: 'pausing' }).waitFor({ timeout: 60_000 });
    // The running task ends; the workflow stops before the next one.
    await writeFile(path.join(stack.gate, 'release-held'), '');
    await task('hold', 'succeeded').waitFor({ timeout: 60_000 });
    await page.locator('.title-row .status', { hasText: 'paused' }).waitFor({ timeout: 60_000 });
    expect(await task('after').getAttribute('data-status')).toBe('not started');
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await task('after', 'succeeded').waitFor({ timeout: 60_000 });
    await page.locator('.title-row .status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    expect(await page.getByRole('button', { name: 'Resume' }).count()).toBe(0);
  });

  it("draws an action chain's links from its default, on-success and on-failure", async () => {
    const started = await stack.api<{ id: string }>('POST', '/api/v1/executions', { action: 'wfdemo.chained' });
    expect(started.status).toBe(201);
    await page.goto(`${stack.url}/executions/${started.body.id}`);
    await task('second', 'succeeded').waitFor({ timeout: 60_000 });
    await task('first', 'succeeded').waitFor();
    expect(await task('recover').getAttribute('data-status')).toBe('not started');
    expect(await page.locator('svg.task-graph path.transition-success').count()).toBe(1);
    expect(await page.locator('svg.task-graph path.transition-failure').count()).toBe(1);
    // The chain's start is drawn first, in the top row.
    expect(await top('first')).toBeLessThan(await top('second'));
    expect(await top('recover')).toBe(await top('second'));
  });
});
