import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { St2Execution } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { childrenOf, runThroughApi, waitFor } from './workflow-stack.ts';

/**
 * StackStorm's example Orquesta workflows with inquiries (`core.ask`; test/fixtures/st2-example-orquesta,
 * copied from st2's contrib/examples) under the workflow engine of the embedded deployment, as
 * st2's st2tests/integration/orquesta/test_wiring_inquiry.py drives them: the workflow pauses
 * while its ask task is pending, a response resumes it; and what st2 does when the inquiry times
 * out (its task fails, the workflow takes its failure branch) or the workflow is canceled.
 */
let stack: ServiceStack;

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/fixtures/st2-example-orquesta'], workflows: true });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const taskName = (child: St2Execution): unknown => (child.context['orquesta'] as Record<string, unknown> | undefined)?.['task_name'];

/** Waits for the workflow's direct child running task `name` to be in `status`; returns it. */
async function taskIn(workflowId: string, name: string, status: string): Promise<St2Execution> {
  let found: St2Execution | undefined;
  await retryUntil(
    async () => {
      found = (await childrenOf(stack, workflowId, 1)).find((child) => taskName(child) === name && child.status === status);
      return found !== undefined;
    },
    { withinMs: 30_000, what: `task ${name} ${status}` },
  );
  return found as St2Execution;
}

async function respond(inquiry: St2Execution, response: Record<string, unknown>): Promise<void> {
  const answer = await stack.call('PUT', `/api/v1/inquiries/${inquiry.id}`, { response });
  expect(answer.statusCode, answer.body).toBe(200);
}

const shape = (children: St2Execution[]): unknown[] => children.map((child) => [taskName(child), child.action.ref, child.status]);

describe("StackStorm's example Orquesta workflows with inquiries", () => {
  it('orquesta-ask-basic pauses on its pending inquiry; the response resumes it to the end (test_wiring_inquiry.test_basic_inquiry)', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-ask-basic');
    await waitFor(stack, started.id, ['paused']);
    const ask = await taskIn(started.id, 'get_approval', 'pending');
    expect(ask.action.ref).toBe('core.ask');
    const inquiry = await stack.call('GET', `/api/v1/inquiries/${ask.id}`);
    expect(inquiry.statusCode).toBe(200);
    expect(inquiry.json()).toMatchObject({ id: ask.id });
    await respond(ask, { approved: true });
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(done.result).toEqual({ output: null });
    expect(shape(await childrenOf(stack, started.id))).toEqual([
      ['start', 'core.echo', 'succeeded'],
      ['get_approval', 'core.ask', 'succeeded'],
      ['finish', 'core.echo', 'succeeded'],
    ]);
    // The ask task's result carries the response, as st2's inquirer runner records it.
    expect((await childrenOf(stack, started.id))[1]!.result).toMatchObject({ response: { approved: true } });
  }, 60_000);

  it('orquesta-ask-consecutive pauses again on the second inquiry (test_wiring_inquiry.test_consecutive_inquiries)', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-ask-consecutive');
    await waitFor(stack, started.id, ['paused']);
    await respond(await taskIn(started.id, 'get_approval', 'pending'), { approved: true });
    const second = await taskIn(started.id, 'get_confirmation', 'pending');
    await waitFor(stack, started.id, ['paused']);
    await respond(second, { approved: true });
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(shape(await childrenOf(stack, started.id))).toEqual([
      ['start', 'core.echo', 'succeeded'],
      ['get_approval', 'core.ask', 'succeeded'],
      ['get_confirmation', 'core.ask', 'succeeded'],
      ['finish', 'core.echo', 'succeeded'],
    ]);
  }, 60_000);

  it('orquesta-ask-parallel stays paused until both inquiries are answered; the join then runs once (test_wiring_inquiry.test_parallel_inquiries)', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-ask-parallel');
    await waitFor(stack, started.id, ['paused']);
    const jill = await taskIn(started.id, 'ask_jill', 'pending');
    await respond(await taskIn(started.id, 'ask_jack', 'pending'), { approved: true });
    await taskIn(started.id, 'ask_jack', 'succeeded');
    // One answer is not enough: the other inquiry still holds the workflow.
    await waitFor(stack, started.id, ['paused']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await waitFor(stack, started.id, ['paused'])).status).toBe('paused');
    await respond(jill, { approved: true });
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    const children = await childrenOf(stack, started.id);
    expect(children.filter((child) => taskName(child) === 'finish').map((child) => child.status)).toEqual(['succeeded']);
    expect(children).toHaveLength(4);
  }, 60_000);

  it('orquesta-ask-nested: the subworkflow pauses on its inquiry and so does the parent; the response finishes both (test_wiring_inquiry.test_nested_inquiry)', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-ask-nested');
    await waitFor(stack, started.id, ['paused']);
    const sub = await taskIn(started.id, 'get_approval', 'paused');
    expect(sub.action.ref).toBe('examples.orquesta-ask-basic');
    await respond(await taskIn(sub.id, 'get_approval', 'pending'), { approved: true });
    expect((await waitFor(stack, sub.id)).status).toBe('succeeded');
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('succeeded');
    expect(shape(await childrenOf(stack, started.id, 1))).toEqual([
      ['start', 'core.echo', 'succeeded'],
      ['get_approval', 'examples.orquesta-ask-basic', 'succeeded'],
      ['finish', 'core.echo', 'succeeded'],
    ]);
  }, 90_000);

  it('an inquiry that times out ends its task `timeout`: neither succeeded() nor failed() holds (orquesta), so orquesta-ask-basic fails on it without its stop branch, as st2 does', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-ask-basic');
    await waitFor(stack, started.id, ['paused']);
    const ask = await taskIn(started.id, 'get_approval', 'pending');
    // core.ask's ttl defaults to 1440 minutes; st2's garbage collector then resumes the root workflow.
    expect(await stack.api.inquiries.expire(Date.now() + 1441 * 60_000)).toBeGreaterThanOrEqual(1);
    expect((await waitFor(stack, ask.id)).status).toBe('timeout');
    const done = await waitFor(stack, started.id);
    expect(done.status).toBe('failed');
    expect(shape(await childrenOf(stack, started.id))).toEqual([
      ['start', 'core.echo', 'succeeded'],
      ['get_approval', 'core.ask', 'timeout'],
    ]);
    const errors = (done.result as { errors: Record<string, unknown>[] }).errors;
    // orquesta logs an error only for a task event 'failed' (conducting.py), not for 'timeout'.
    expect(errors).toEqual([]);
  }, 60_000);

  it('canceling a workflow paused on an inquiry cancels the inquiry; nothing after it runs and the response is refused', async () => {
    const started = await runThroughApi(stack, 'examples.orquesta-ask-basic');
    await waitFor(stack, started.id, ['paused']);
    const ask = await taskIn(started.id, 'get_approval', 'pending');
    expect((await stack.call('DELETE', `/api/v1/executions/${started.id}`)).statusCode).toBe(200);
    expect((await waitFor(stack, started.id)).status).toBe('canceled');
    expect((await waitFor(stack, ask.id)).status).toBe('canceled');
    expect((await stack.call('PUT', `/api/v1/inquiries/${ask.id}`, { response: { approved: true } })).statusCode).toBe(404);
    expect(shape(await childrenOf(stack, started.id))).toEqual([
      ['start', 'core.echo', 'succeeded'],
      ['get_approval', 'core.ask', 'canceled'],
    ]);
  }, 60_000);
});
