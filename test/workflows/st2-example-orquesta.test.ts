import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { childrenOf, runThroughApi, waitFor } from './workflow-stack.ts';

/**
 * StackStorm's example Orquesta workflows (test/fixtures/st2-example-orquesta, copied from st2's
 * contrib/examples) run under the workflow engine of the embedded deployment, with real core
 * actions, and end with the statuses and results st2's integration tests assert
 * (st2tests/integration/orquesta, named beside each case).
 */
let stack: ServiceStack;
let scratch: string;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/fixtures/st2-example-orquesta'], workflows: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-orquesta-'));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const orquestaOf = (child: ExecutionRecord): Record<string, unknown> => child.context['orquesta'] as Record<string, unknown>;

describe("StackStorm's example Orquesta workflows under the workflow engine", () => {
  it('orquesta-sequential (test_wiring.test_sequential); each task is a child with its parent and context.orquesta', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-sequential', { name: 'Thanos' });
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ output: { greeting: 'Thanos, All your base are belong to us!' } });
    const children = await childrenOf(stack, started.id);
    expect(children.map((child) => [child.action, orquestaOf(child)['task_name'], orquestaOf(child)['route'], child.status])).toEqual([
      ['core.echo', 'task1', 0, 'succeeded'],
      ['core.echo', 'task2', 0, 'succeeded'],
      ['core.echo', 'task3', 0, 'succeeded'],
    ]);
    for (const child of children) expect(child.parent).toBe(started.id);
  }, 60_000);

  it('orquesta-join (test_wiring.test_join)', async () => {
    const done = await waitFor(stack, (await runThroughApi(stack, 'examples.orquesta-join')).id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({
      output: { messages: ['Fee fi fo fum', 'I smell the blood of an English man', 'Be alive, or be he dead', "I'll grind his bones to make my bread"] },
    });
  }, 60_000);

  it('orquesta-with-items (test_wiring_with_items.test_with_items)', async () => {
    const members = ['Lakshmi', 'Lindsay', 'Tomaz', 'Matt', 'Drew'];
    const done = await waitFor(stack, (await runThroughApi(stack, 'examples.orquesta-with-items', { members })).id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ output: { items: members.map((member) => `${member}, resistance is futile!`) } });
    // Each item's end is a record of its own beside the workflow; the workflow's stored state holds no item's result.
    const items = await stack.store.workflowItems.find({ workflow: done.id }, { sort: { index: 1 } });
    expect(items.map((item) => [item.index, item.status, (item.result as { stdout?: string }).stdout])).toEqual(members.map((member, index) => [index, 'succeeded', `${member}, resistance is futile!`]));
    const record = await stack.store.workflows.get(done.id);
    expect(String(record?.state)).not.toContain('"stdout"');
  }, 60_000);

  it('orquesta-test-action-less-tasks (test_wiring.test_action_less)', async () => {
    const done = await waitFor(stack, (await runThroughApi(stack, 'examples.orquesta-test-action-less-tasks', { name: 'Thanos' })).id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ output: { greeting: 'THANOS, ALL YOUR BASE ARE BELONG TO US!' } });
  }, 60_000);

  it('orquesta-error-handling-fail-manually (test_wiring_error_handling.test_fail_manually)', async () => {
    const done = await waitFor(stack, (await runThroughApi(stack, 'examples.orquesta-error-handling-fail-manually', { cmd: 'exit 1' })).id);
    expect(done.status).toBe('failed');
    const result = done.result as { output: unknown; errors: Record<string, unknown>[] };
    expect(result.output).toEqual({ message: '$%#&@#$!!!' });
    expect(result.errors.map((error) => [error['task_id'], error['type'], error['message']])).toEqual([
      ['task1', 'error', 'Execution failed. See result for details.'],
      ['fail', 'error', 'Execution failed. See result for details.'],
    ]);
    expect(result.errors[0]!['result']).toMatchObject({ failed: true, return_code: 1, succeeded: false });
  }, 60_000);

  it('orquesta-subworkflow runs orquesta-sequential as a child workflow (test_wiring.test_subworkflow)', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-subworkflow');
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    const tree = await childrenOf(stack, started.id);
    expect(tree.map((child) => [child.action, child.parent === started.id ? 1 : 2, child.status])).toEqual([
      ['core.echo', 1, 'succeeded'],
      ['examples.orquesta-sequential', 1, 'succeeded'],
      ['core.echo', 2, 'succeeded'],
      ['core.echo', 2, 'succeeded'],
      ['core.echo', 2, 'succeeded'],
      ['core.echo', 1, 'succeeded'],
    ]);
  }, 90_000);

  it('orquesta-test-cancel: canceling while task1 runs lets it finish, then ends canceled without task2 (test_wiring_cancel.test_cancellation)', async () => {
    const tempfile = path.join(scratch, 'cancel-flag');
    writeFileSync(tempfile, '');
    const started = await runThroughApi(stack, 'examples.orquesta-test-cancel', { tempfile, message: 'foobar' });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.status === 'running'), { withinMs: 30_000, what: 'task1 running' });
    const cancel = await stack.call('DELETE', `/api/v1/executions/${started.id}`);
    expect(cancel.statusCode).toBe(200);
    await waitFor(stack, started.id, ['canceling']);
    rmSync(tempfile);
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('canceled');
    const children = await childrenOf(stack, started.id);
    expect(children.map((child) => [orquestaOf(child)['task_name'], child.status])).toEqual([['task1', 'succeeded']]);
  }, 60_000);

  it('orquesta-test-pause: pausing while task1 runs pauses after it; resuming runs task2 (test_wiring_pause_and_resume.test_pause_and_resume)', async () => {
    const tempfile = path.join(scratch, 'pause-flag');
    writeFileSync(tempfile, '');
    const started = await runThroughApi(stack, 'examples.orquesta-test-pause', { tempfile });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.status === 'running'), { withinMs: 30_000, what: 'task1 running' });
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'pausing' })).statusCode).toBe(200);
    await waitFor(stack, started.id, ['pausing']);
    rmSync(tempfile);
    await waitFor(stack, started.id, ['paused']);
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'resuming' })).statusCode).toBe(200);
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    const children = await childrenOf(stack, started.id);
    expect(children.map((child) => [orquestaOf(child)['task_name'], child.status])).toEqual([
      ['task1', 'succeeded'],
      ['task2', 'succeeded'],
    ]);
    expect((children[1]!.result as Record<string, unknown>)['stdout']).toBe(`${tempfile} is deleted.`);
  }, 60_000);

  it('orquesta-st2kv reads a system key, a user key and a secret it decrypts (test_wiring_functions_st2kv)', async () => {
    expect((await stack.call('PUT', '/api/v1/keys/lakshmi', { value: 'kanahansnasnasdlsajks' })).statusCode).toBe(200);
    expect((await stack.call('PUT', '/api/v1/keys/winson', { value: 'SoDiamondEng', scope: 'user' })).statusCode).toBe(200);
    expect((await stack.call('PUT', '/api/v1/keys/kami', { value: 'eggplant', secret: true })).statusCode).toBe(200);
    for (const [parameters, value] of [
      [{ key_name: 'system.lakshmi' }, 'kanahansnasnasdlsajks'],
      [{ key_name: 'winson' }, 'SoDiamondEng'],
      [{ key_name: 'system.kami', decrypt: true }, 'eggplant'],
    ] as const) {
      const done = await waitFor(stack, (await runThroughApi(stack, 'examples.orquesta-st2kv', parameters)).id);
      expect(done.status).toBe('succeeded');
      expect(done.result).toEqual({ output: { value } });
    }
    const missing = await waitFor(stack, (await runThroughApi(stack, 'examples.orquesta-st2kv', { key_name: 'system.matt', decrypt: true })).id);
    expect(missing.status).toBe('failed');
    expect(JSON.stringify(missing.result)).toContain('The key \\"matt\\" does not exist in the StackStorm datastore.');
  }, 90_000);

  it('orquesta-st2-ctx sees its own execution id in ctx().st2', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-st2-ctx');
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(String((done.result as { output: { callback: string } }).output.callback)).toMatch(new RegExp(`/executions/${started.id}$`));
  }, 60_000);

  it('orquesta-test-pause-subworkflow: the pause reaches the subworkflow, the resume too (test_wiring_pause_and_resume.test_pause_and_resume_cascade_to_subworkflow)', async () => {
    const tempfile = path.join(scratch, 'pause-sub-flag');
    writeFileSync(tempfile, '');
    const started = await runThroughApi(stack, 'examples.orquesta-test-pause-subworkflow', { tempfile });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.action === 'core.local' && child.status === 'running'), {
      withinMs: 30_000,
      what: "the subworkflow's task1 running",
    });
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'pausing' })).statusCode).toBe(200);
    const sub = (await childrenOf(stack, started.id, 1))[0] as ExecutionRecord;
    expect(sub.action).toBe('examples.orquesta-test-pause');
    await waitFor(stack, sub.id, ['pausing', 'paused']);
    rmSync(tempfile);
    await waitFor(stack, sub.id, ['paused']);
    await waitFor(stack, started.id, ['paused']);
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'resuming' })).statusCode).toBe(200);
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    const tree = await childrenOf(stack, started.id);
    expect(tree.map((child) => [child.action, child.parent === started.id ? 1 : 2, child.status])).toEqual([
      ['examples.orquesta-test-pause', 1, 'succeeded'],
      ['core.local', 2, 'succeeded'],
      ['core.local', 2, 'succeeded'],
      ['core.echo', 1, 'succeeded'],
    ]);
  }, 90_000);

  it('orquesta-test-cancel-subworkflow: the cancel reaches the subworkflow; both end canceled (test_wiring_cancel.test_cancellation_cascade_down_to_subworkflow)', async () => {
    const tempfile = path.join(scratch, 'cancel-sub-flag');
    writeFileSync(tempfile, '');
    const started = await runThroughApi(stack, 'examples.orquesta-test-cancel-subworkflow', { tempfile, message: 'foobar' });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.action === 'core.local' && child.status === 'running'), {
      withinMs: 30_000,
      what: "the subworkflow's task1 running",
    });
    expect((await stack.call('DELETE', `/api/v1/executions/${started.id}`)).statusCode).toBe(200);
    const sub = (await childrenOf(stack, started.id, 1))[0] as ExecutionRecord;
    await waitFor(stack, started.id, ['canceling']);
    await waitFor(stack, sub.id, ['canceling']);
    rmSync(tempfile);
    expect((await waitFor(stack, sub.id)).status).toBe('canceled');
    expect((await waitFor(stack, started.id)).status).toBe('canceled');
  }, 90_000);
});
