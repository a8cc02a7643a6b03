import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type St2Execution } from '@packrun/core';
import { childExecutionId, findWorkflowDriver, startWorkflowEngine, type WorkflowEngine } from '@packrun/workflow-engine';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { childrenOf, runThroughApi, waitFor } from './workflow-stack.ts';

/**
 * The workflow engine's own guarantees, in the embedded deployment: several engines over one
 * store step each workflow once per event (compare-and-set), a replayed outbox starts nothing
 * twice, an engine started later takes over what another left, a cancel cascades to child
 * workflows, and on-failure branches as StackStorm's chain runner does.
 */
let stack: ServiceStack;
let scratch: string;
const extraEngines: WorkflowEngine[] = [];

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/workflows/packs/wftest'], workflows: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-engine-'));
}, 120_000);

afterAll(async () => {
  for (const engine of extraEngines) await engine.stop();
  await stack?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function anotherEngine(): Promise<WorkflowEngine> {
  return startWorkflowEngine({
    store: stack.store,
    bus: stack.bus,
    logger: createLogger({ level: 'silent' }),
    paths: stack.home.paths,
    keyValues: stack.keyValues,
    executions: stack.api.executions,
    openSecrets: stack.api.openSecrets,
    resultInlineBytes: stack.home.config.resultInlineBytes,
    sweepMs: 500,
  });
}

function ranOnce(child: St2Execution): boolean {
  return child.log.filter((change) => change.status === 'running').length === 1;
}

describe('the workflow engine', () => {
  it('three engines racing over the same workflows step each event once: every task runs once, in order', async () => {
    extraEngines.push(await anotherEngine(), await anotherEngine());
    const engines = [stack.workflows!, ...extraEngines];
    const started = await Promise.all(Array.from({ length: 6 }, (_, index) => runThroughApi(stack, 'wftest.three_steps', { word: `w${index}` })));
    // Every engine advances every workflow over and over while they run.
    let racing = true;
    const hammer = (async () => {
      while (racing) {
        await Promise.all(started.flatMap((workflow) => engines.map((engine) => engine.advance(workflow.id))));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const done = await Promise.all(started.map((workflow) => waitFor(stack, workflow.id)));
    racing = false;
    await hammer;
    for (const [index, record] of done.entries()) {
      expect(record.status).toBe('succeeded');
      const children = await childrenOf(stack, record.id);
      expect(children.map((child) => child.parameters['message'])).toEqual([`1 w${index}`, `2 1 w${index}`, `3 2 1 w${index}`]);
      expect(children.every(ranOnce)).toBe(true);
      expect(record.children).toEqual(children.map((child) => child.id));
    }
  }, 120_000);

  it('a replayed outbox (a step carried out again after a crash) starts no child twice', async () => {
    const workflow = await runThroughApi(stack, 'wftest.three_steps', { word: 'again' });
    await waitFor(stack, workflow.id);
    const before = await childrenOf(stack, workflow.id);
    const first = before[0]!;
    expect(first.id).toBe(childExecutionId(workflow.id, 'first:1'));
    // As if the process died after storing the first step and before clearing its outbox.
    await stack.store.workflows.update(
      { id: workflow.id },
      { set: { phase: 'open', outbox: { id: 'replayed', start: [{ requestId: 'first:1', action: 'core.echo', parameters: first.parameters, context: first.context }], cancel: [], pause: [], resume: [] } } },
    );
    await stack.workflows!.advance(workflow.id);
    const after = await childrenOf(stack, workflow.id);
    expect(after.map((child) => child.id)).toEqual(before.map((child) => child.id));
    expect(after.every(ranOnce)).toBe(true);
    expect((await stack.store.workflows.get(workflow.id))?.outbox).toBeUndefined();
    expect((await stack.store.executions.get(workflow.id))?.children).toEqual(before.map((child) => child.id));
  }, 60_000);

  it('an engine started later takes over a workflow the others left mid-way', async () => {
    for (const engine of extraEngines.splice(0)) await engine.stop();
    await stack.workflows!.stop();
    const tempfile = path.join(scratch, 'takeover');
    writeFileSync(tempfile, '');
    const workflow = await runThroughApi(stack, 'wftest.wait_for_file', { tempfile });
    // No engine runs: the workflow waits, requested.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stack.store.executions.get(workflow.id))?.status).toBe('scheduled');
    const first = await anotherEngine();
    await retryUntil(async () => (await childrenOf(stack, workflow.id)).some((child) => child.status === 'running'), { withinMs: 30_000, what: 'the wait task running' });
    await first.stop();
    rmSync(tempfile);
    await retryUntil(async () => (await childrenOf(stack, workflow.id))[0]?.status === 'succeeded', { withinMs: 30_000, what: 'the wait task done' });
    expect((await stack.store.executions.get(workflow.id))?.status).toBe('running');
    const second = await anotherEngine();
    extraEngines.push(second);
    stack.workflows = second;
    const done = await waitFor(stack, workflow.id);
    expect(done.status).toBe('succeeded');
    const children = await childrenOf(stack, workflow.id);
    expect(children.map((child) => [child.action.ref, child.status])).toEqual([['core.local', 'succeeded'], ['core.echo', 'succeeded']]);
    expect(children.every(ranOnce)).toBe(true);
  }, 60_000);

  it('a cancel cascades to the child workflow: its running action finishes, nothing after it starts, all end canceled', async () => {
    const tempfile = path.join(scratch, 'cascade');
    writeFileSync(tempfile, '');
    const workflow = await runThroughApi(stack, 'wftest.nested_wait', { tempfile });
    await retryUntil(async () => (await childrenOf(stack, workflow.id)).some((child) => child.action.ref === 'core.local' && child.status === 'running'), {
      withinMs: 30_000,
      what: 'the nested wait running',
    });
    const cancel = await stack.call('DELETE', `/api/v1/executions/${workflow.id}`);
    expect(cancel.json<St2Execution>().status).toBe('canceling');
    const sub = (await childrenOf(stack, workflow.id, 1))[0]!;
    await waitFor(stack, sub.id, ['canceling']);
    rmSync(tempfile);
    expect((await waitFor(stack, workflow.id)).status).toBe('canceled');
    expect((await waitFor(stack, sub.id)).status).toBe('canceled');
    const tree = await childrenOf(stack, workflow.id);
    expect(tree.map((child) => [child.action.ref, child.status])).toEqual([
      ['wftest.wait_for_file', 'canceled'],
      ['core.local', 'succeeded'],
    ]);
  }, 60_000);

  it("config_context: a chain's task parameters see the workflow pack's config (StackStorm's get_config)", async () => {
    const done = await waitFor(stack, (await runThroughApi(stack, 'wftest.config_chain')).id);
    expect(done.status).toBe('succeeded');
    const tasks = done.result?.['tasks'] as Array<{ name: string; result: Record<string, unknown> }>;
    expect(tasks[0]?.result['stdout']).toBe('hello from the pack config');
    // The config stays with the chain: its task's context does not carry it.
    const [child] = await childrenOf(stack, done.id);
    expect(JSON.stringify(child?.context)).not.toContain('hello from the pack config');
  }, 60_000);

  it('on-failure: a failed task leads to its on-failure node, and the chain ends as its last branch did (StackStorm)', async () => {
    const workflow = await runThroughApi(stack, 'wftest.fail_then_recover');
    const done = await waitFor(stack, workflow.id);
    expect(done.status).toBe('succeeded');
    const tasks = done.result?.['tasks'] as Array<{ name: string; state: string; result: Record<string, unknown> }>;
    expect(tasks.map((task) => [task.name, task.state])).toEqual([['breaks', 'failed'], ['mends', 'succeeded']]);
    expect(tasks[0]?.result['stderr']).toBe('broken');
    expect(tasks[1]?.result['stdout']).toBe('mended after 3');
  }, 60_000);

  it('a task whose action does not exist becomes a failed child saying so, and the chain fails', async () => {
    await stack.store.actions.update({ id: 'core.echo' }, { set: { enabled: false } });
    try {
      const workflow = await runThroughApi(stack, 'wftest.relay', { text: 'x' });
      const done = await waitFor(stack, workflow.id);
      expect(done.status).toBe('failed');
      const [child] = await childrenOf(stack, workflow.id);
      expect(child).toMatchObject({ action: { ref: 'core.echo' }, status: 'failed', error: { type: 'ACTION_DISABLED' }, parent: workflow.id });
    } finally {
      await stack.store.actions.update({ id: 'core.echo' }, { set: { enabled: true } });
    }
  }, 60_000);

  it('an Orquesta workflow is registered at install; without the Orquesta driver, running it says so (WORKFLOW_DRIVER_MISSING)', async () => {
    const action = (await stack.call('GET', '/api/v1/actions/wftest.orquesta_hello')).json<Record<string, unknown>>();
    expect(action).toMatchObject({ ref: 'wftest.orquesta_hello', runner_type: 'orquesta' });
    const run = await stack.call('POST', '/api/v1/executions', { action: 'wftest.orquesta_hello' });
    if (findWorkflowDriver('orquesta') === undefined) {
      expect(action['unavailable']).toMatchObject({ code: 'WORKFLOW_DRIVER_MISSING', runner: 'orquesta' });
      expect(run.statusCode).toBe(409);
      expect(run.json()).toMatchObject({ code: 'WORKFLOW_DRIVER_MISSING', details: { action: 'wftest.orquesta_hello' } });
    } else {
      // The driver is in: the workflow runs like any other.
      expect(action['unavailable']).toBeUndefined();
      expect(run.statusCode).toBe(201);
      expect((await waitFor(stack, run.json<St2Execution>().id)).status).toBe('succeeded');
    }
  });

  it('an inquiry in a chain pauses the chain until it is answered; the answer takes it on (StackStorm)', async () => {
    const workflow = await runThroughApi(stack, 'wftest.ask_then_echo');
    await waitFor(stack, workflow.id, ['paused']);
    const [ask] = await childrenOf(stack, workflow.id);
    expect(ask).toMatchObject({ action: { ref: 'core.ask' }, status: 'pending' });
    const answer = await stack.call('PUT', `/api/v1/inquiries/${ask!.id}`, { response: { approved: true } });
    expect(answer.statusCode, answer.body).toBe(200);
    const done = await waitFor(stack, workflow.id);
    expect(done.status).toBe('succeeded');
    const tasks = done.result?.['tasks'] as Array<{ name: string; state: string; result: Record<string, unknown> }>;
    expect(tasks.map((task) => [task.name, task.state])).toEqual([['ask', 'succeeded'], ['answer', 'succeeded']]);
    expect(tasks[1]?.result['stdout']).toBe('approved=True');
  }, 60_000);

  it('a re-run from tasks is refused for what is not a completed Orquesta workflow', async () => {
    const chain = await runThroughApi(stack, 'wftest.three_steps');
    await waitFor(stack, chain.id);
    const refused = await stack.call('POST', `/api/v1/executions/${chain.id}/re_run`, { tasks: ['second'] });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'EXECUTION_STATE_INVALID', details: { runner: 'action-chain' } });
    // Without tasks, it runs again from the start.
    const again = await stack.call('POST', `/api/v1/executions/${chain.id}/re_run`, {});
    expect(again.statusCode).toBe(201);
    expect((await waitFor(stack, again.json<St2Execution>().id)).status).toBe('succeeded');
  }, 60_000);

  it.skipIf(findWorkflowDriver('orquesta') === undefined)('an Orquesta workflow re-runs from a failed task: a new execution that keeps what the other tasks did and runs only that one again', async () => {
    const tempfile = path.join(scratch, 'flaky');
    writeFileSync(tempfile, '1');
    const failed = await waitFor(stack, (await runThroughApi(stack, 'wftest.orquesta_flaky', { tempfile })).id);
    expect(failed.status).toBe('failed');
    expect((await childrenOf(stack, failed.id)).map((child) => [child.action.ref, child.status])).toEqual([['core.echo', 'succeeded'], ['core.local', 'failed']]);
    writeFileSync(tempfile, '0');
    const rerun = await stack.call('POST', `/api/v1/executions/${failed.id}/re_run`, { tasks: ['flaky'] });
    expect(rerun.statusCode, rerun.body).toBe(201);
    const done = await waitFor(stack, rerun.json<St2Execution>().id);
    expect(done).toMatchObject({ status: 'succeeded', context: { 're-run': { ref: failed.id, tasks: ['flaky'] } } });
    expect(await stack.store.executions.get(done.id)).toMatchObject({ rerunOf: failed.id, rerunTasks: ['flaky'] });
    // Only the re-run task ran again; the first one's result was kept.
    expect((await childrenOf(stack, done.id)).map((child) => [child.action.ref, child.status])).toEqual([['core.local', 'succeeded']]);
  }, 60_000);

  it.skipIf(findWorkflowDriver('orquesta') === undefined)("a with-items task re-run with reset leaving it out (st2 --no-reset) runs only its failed item; the others' results come along", async () => {
    const tempfile = path.join(scratch, 'flaky-items');
    writeFileSync(tempfile, '1');
    const failed = await waitFor(stack, (await runThroughApi(stack, 'wftest.orquesta_flaky_items', { tempfile })).id);
    expect(failed.status).toBe('failed');
    writeFileSync(tempfile, '0');
    const refused = await stack.call('POST', `/api/v1/executions/${failed.id}/re_run`, { tasks: ['each'], reset: ['other'] });
    expect(refused.statusCode).toBe(400);
    const rerun = await stack.call('POST', `/api/v1/executions/${failed.id}/re_run`, { tasks: ['each'], reset: [] });
    expect(rerun.statusCode, rerun.body).toBe(201);
    const done = await waitFor(stack, rerun.json<St2Execution>().id);
    expect(done.status).toBe('succeeded');
    const children = await childrenOf(stack, done.id);
    expect(children.map((child) => [child.action.ref, child.status, (child.context['orquesta'] as { item_id?: number }).item_id])).toEqual([['core.local', 'succeeded', 1]]);
    expect(done.result).toEqual({ output: { said: ['got a', 'got b', 'got c'] } });
  }, 60_000);
});
