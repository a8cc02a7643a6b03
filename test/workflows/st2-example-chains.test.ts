import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionUpdateEvent, St2Execution } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { childrenOf, executionOf, runThroughApi, waitFor } from './workflow-stack.ts';

/**
 * StackStorm's example action chains (test/fixtures/st2-example-chains, copied from st2's
 * contrib/examples) run under the workflow engine of the embedded deployment, with the statuses,
 * results and task order StackStorm's action-chain runner gives them.
 */
let stack: ServiceStack;
let scratch: string;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/fixtures/st2-example-chains'], workflows: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-chains-'));
}, 120_000);

afterAll(async () => {
  await stack?.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface ChainTask {
  id: string;
  name: string;
  execution_id: string;
  state: string;
  result: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

function tasksOf(record: St2Execution): ChainTask[] {
  return (record.result?.['tasks'] ?? []) as ChainTask[];
}

describe("StackStorm's example chains", () => {
  it('echochain: c1, c2, c3 succeed in order; c2 sees its parent execution id; each task is a child with context.parent and context.chain', async () => {
    const started = await runThroughApi(stack, 'examples.echochain');
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    const tasks = tasksOf(done);
    expect(tasks.map((task) => [task.name, task.state])).toEqual([['c1', 'succeeded'], ['c2', 'succeeded'], ['c3', 'succeeded']]);
    expect(tasks[1]?.result['stdout']).toBe(`c2: parent exec is ${started.id}.`);
    expect(done.result?.['published']).toEqual({});
    const children = await childrenOf(stack, started.id);
    expect(children.map((child) => child.id)).toEqual(tasks.map((task) => task.execution_id));
    expect(done.children).toEqual(children.map((child) => child.id));
    for (const child of children) {
      expect(child.parent).toBe(started.id);
      expect(child.context['user']).toBe('tester');
      expect(child.context['parent']).toMatchObject({ execution_id: started.id, user: 'tester' });
    }
    expect(children[0]?.context['chain']).toMatchObject({ name: 'c1', ref: 'core.local', on_success: 'c2', on_failure: 'c4' });
    const listed = (await stack.call('GET', `/api/v1/executions?parent=${started.id}`)).json<St2Execution[]>();
    expect(listed.map((child) => child.id).sort()).toEqual(children.map((child) => child.id).sort());
  }, 60_000);

  it('echochain-param: each task renders the input and the previous task\'s result', async () => {
    const started = await runThroughApi(stack, 'examples.echochain-param', { input1: 'hello' });
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(tasksOf(done).map((task) => task.result['stdout'])).toEqual(['c1, input hello', 'c2 c1, input hello', 'c3 c2 c1, input hello']);
  }, 60_000);

  it('chain-sequential: publish carries values from task to task and into the result', async () => {
    const started = await runThroughApi(stack, 'examples.chain-sequential', { name: 'Stanley' });
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(tasksOf(done).map((task) => task.result['stdout'])).toEqual(['Stanley', 'All your base are belong to us!', 'Stanley, All your base are belong to us!']);
    expect(done.result?.['published']).toEqual({ greeting: 'Stanley, All your base are belong to us!' });
  }, 60_000);

  // Both name a node c4 in on-failure that they do not define: StackStorm's runner refuses them when
  // they start (ChainHolder.validate), Packrun's install check before.
  it('echochain_top_level_failure and echochain_task_failure: refused by the install check, naming file, task and line; registered, and running them says why', async () => {
    const failure = (await stack.call('GET', '/api/v1/actions/examples.echochain_task_failure')).json<Record<string, unknown>>();
    expect(failure['unavailable']).toMatchObject({ code: 'WORKFLOW_INVALID', problems: [{ file: 'actions/chains/echochain_task_failure.yaml', task: 'c1', line: 4 }] });
    const action = (await stack.call('GET', '/api/v1/actions/examples.echochain_top_level_failure')).json<Record<string, unknown>>();
    expect(action['unavailable']).toMatchObject({
      code: 'WORKFLOW_INVALID',
      field: 'entry_point',
      problems: [{ file: 'actions/chains/echochain_top_level_failure.yaml', task: 'c1', line: 4, message: expect.stringContaining('"c4"') }],
    });
    const run = await stack.call('POST', '/api/v1/executions', { action: 'examples.echochain_top_level_failure' });
    expect(run.statusCode).toBe(409);
    expect(run.json()).toMatchObject({ code: 'WORKFLOW_INVALID' });
  });

  it('chain-test-cancel: a cancel while task1 runs lets task1 finish, then ends the chain canceled without task2', async () => {
    const tempfile = path.join(scratch, 'cancel-flag');
    writeFileSync(tempfile, '');
    const started = await runThroughApi(stack, 'examples.chain-test-cancel', { tempfile, message: 'never' });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.status === 'running'), { withinMs: 30_000, what: 'task1 running' });
    const cancel = await stack.call('DELETE', `/api/v1/executions/${started.id}`);
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json<St2Execution>().status).toBe('canceling');
    rmSync(tempfile);
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('canceled');
    expect(tasksOf(done).map((task) => [task.name, task.state])).toEqual([['task1', 'succeeded']]);
    expect((await childrenOf(stack, started.id)).map((child) => child.action.ref)).toEqual(['core.local']);
  }, 60_000);

  it('chain-test-pause-resume: pausing while task1 runs pauses after it; resuming runs task2', async () => {
    const tempfile = path.join(scratch, 'pause-flag');
    writeFileSync(tempfile, '');
    const updates: ExecutionUpdateEvent[] = [];
    const subscription = await stack.bus.subscribe('execution-updates', (event) => void updates.push(event));
    const started = await runThroughApi(stack, 'examples.chain-test-pause-resume', { tempfile, message: 'resumed' });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.status === 'running'), { withinMs: 30_000, what: 'task1 running' });
    const pause = await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'pausing' });
    expect(pause.statusCode).toBe(200);
    expect(pause.json<St2Execution>().status).toBe('pausing');
    rmSync(tempfile);
    await waitFor(stack, started.id, ['paused']);
    expect((await childrenOf(stack, started.id)).length).toBe(1);
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'pausing' })).statusCode).toBe(409);
    const resume = await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'resuming' });
    expect(resume.statusCode).toBe(200);
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(tasksOf(done).map((task) => [task.name, task.state, task.result['stdout']])).toEqual([
      ['task1', 'succeeded', ''],
      ['task2', 'succeeded', 'resumed'],
    ]);
    expect(done.log.map((change) => change.status)).toEqual(['requested', 'scheduled', 'running', 'pausing', 'paused', 'resuming', 'running', 'succeeded']);
    // Live: the stream's execution-updates tell the workflow's every status, and its tasks' with their parent.
    await subscription.unsubscribe();
    expect(updates.filter((event) => event.executionId === started.id).map((event) => event.status)).toEqual([
      'requested', 'scheduled', 'running', 'pausing', 'paused', 'resuming', 'running', 'succeeded',
    ]);
    const taskUpdates = updates.filter((event) => event.changes?.['parent'] === started.id);
    expect(new Set(taskUpdates.map((event) => event.executionId))).toEqual(new Set(tasksOf(done).map((task) => task.execution_id)));
    expect(taskUpdates.filter((event) => event.status === 'succeeded')).toHaveLength(2);
  }, 60_000);

  it('chain-test-pause-resume-with-subchain: the pause cascades to the sub-chain, the resume too; the tree is two levels deep', async () => {
    const tempfile = path.join(scratch, 'subchain-flag');
    writeFileSync(tempfile, '');
    const started = await runThroughApi(stack, 'examples.chain-test-pause-resume-with-subchain', { tempfile, message: 'deep' });
    await retryUntil(async () => (await childrenOf(stack, started.id)).some((child) => child.action.ref === 'core.local' && child.status === 'running'), {
      withinMs: 30_000,
      what: 'the sub-chain task1 running',
    });
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'pausing' })).statusCode).toBe(200);
    const sub = (await childrenOf(stack, started.id, 1))[0]!;
    expect(sub.action.ref).toBe('examples.chain-test-pause-resume');
    await waitFor(stack, sub.id, ['pausing', 'paused']);
    rmSync(tempfile);
    await waitFor(stack, sub.id, ['paused']);
    await waitFor(stack, started.id, ['paused']);
    expect((await stack.call('PUT', `/api/v1/executions/${started.id}`, { status: 'resuming' })).statusCode).toBe(200);
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect((await executionOf(stack, sub.id)).status).toBe('succeeded');
    const tree = await childrenOf(stack, started.id);
    expect(tree.map((child) => [child.action.ref, child.parent === started.id ? 1 : 2])).toEqual([
      ['examples.chain-test-pause-resume', 1],
      ['core.local', 2],
      ['core.local', 2],
      ['core.local', 1],
    ]);
    expect(existsSync(tempfile)).toBe(false);
  }, 90_000);
});
