import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@packrun/api';
import { mintPackCodeToken, newId, nowIso, type ExecutionRecord, type St2Execution } from '@packrun/core';
import { startStack, type ServiceStack } from '../api/harness.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { childrenOf, runThroughApi, waitFor } from '../workflows/workflow-stack.ts';

/**
 * The context of an execution is partly the caller's (st2's ExecutionRequest takes one) and partly
 * what the runtime recorded: the workflow a task belongs to (`parent`), which task (`orquesta`,
 * `chain`), a retry's count (`policies`), a re-run's original (`re-run`). The attack: mallory, an
 * operator, writes those herself, so that an inquiry, a retry or a re-run of hers acts on, or is
 * shown as part of, the admin's paused workflow. Every way in (st2's route and its old name, a
 * pack-code token, a re-run) refuses the keys, naming the field; a record that carries one anyway
 * (stored before they were refused) is not believed: decisions read the `parent` the engine
 * recorded. The workflow's own inquiry, and a retry of an execution of mallory's, still work.
 */
let stack: ServiceStack;
let malloryKey: string;

const schema = { type: 'object', properties: { approved: { type: 'boolean' } } };

function asMallory(method: string, url: string, body?: unknown) {
  return stack.call(method, url, body, { 'x-api-key': malloryKey });
}

/** The admin's workflow, paused on its inquiry: what mallory aims at. */
async function pausedVictim(): Promise<{ victim: St2Execution; ask: St2Execution }> {
  const victim = await runThroughApi(stack, 'examples.orquesta-ask-basic');
  await waitFor(stack, victim.id, ['paused']);
  const ask = (await childrenOf(stack, victim.id)).find((child) => child.action.ref === 'core.ask')!;
  return { victim, ask };
}

async function stored(id: string): Promise<ExecutionRecord> {
  return (await stack.store.executions.get(id))!;
}

/** Writes `context` into a stored record, as a record from before the API refused it would hold. */
async function forgeStoredContext(id: string, context: Record<string, unknown>): Promise<void> {
  await stack.store.executions.update({ id }, { set: { context: { ...(await stored(id)).context, ...context } } });
}

beforeAll(async () => {
  stack = await startStack({ packs: ['core', '../test/fixtures/st2-example-orquesta', '../test/security/fixtures/forgedparent'], workflows: true });
  malloryKey = (await createApiKey(stack.store, { user: 'mallory', role: 'operator' })).key;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('context keys the runtime owns, given by a caller', () => {
  it("are refused on st2's create route, under each of its names, naming the field", async () => {
    const { victim } = await pausedVictim();
    const forged: Record<string, unknown> = {
      parent: { execution_id: victim.id, user: 'tester' },
      orquesta: { task_name: 'get_approval', task_id: 'get_approval' },
      chain: { name: 'get_approval' },
      st2: { action_execution_id: victim.id, user: 'tester' },
      policies: { retry: { applied_policy: 'forgedparent.flaky_retry', retry_count: 0, retried_liveaction_id: victim.id } },
      're-run': { ref: victim.id },
    };
    for (const path of ['/api/v1/executions', '/v1/executions', '/api/v1/actionexecutions']) {
      for (const [key, value] of Object.entries(forged)) {
        const response = await asMallory('POST', path, { action: 'core.ask', parameters: { schema }, context: { [key]: value } });
        expect(response.statusCode, `${path} context.${key}: ${response.body}`).toBe(400);
        expect(response.json()).toMatchObject({ code: 'EXECUTION_CONTEXT_RESERVED', details: { field: `context.${key}` } });
      }
    }
    // A string parent (what the inquiry view used to show) is refused the same way.
    const asString = await asMallory('POST', '/api/v1/executions', { action: 'core.ask', parameters: { schema }, context: { parent: victim.id } });
    expect(asString.json()).toMatchObject({ code: 'EXECUTION_CONTEXT_RESERVED', details: { field: 'context.parent' } });
    expect((await stack.store.executions.find({ user: 'mallory' })).length).toBe(0);
    // What st2client sends (`st2 run --trace-tag`), and keys of the caller's own, are taken.
    const traced = await asMallory('POST', '/v1/executions', { action: 'core.echo', parameters: { message: 'hi' }, context: { trace_context: { trace_tag: 'deploy-7' }, ticket: 'OPS-1' } });
    expect(traced.statusCode, traced.body).toBe(201);
    expect(traced.json<St2Execution>().context).toMatchObject({ trace_context: { trace_tag: 'deploy-7' }, ticket: 'OPS-1', user: 'mallory' });
  }, 60_000);

  it("are refused to a pack-code token too: pack code cannot claim a place in another workflow", async () => {
    const { victim } = await pausedVictim();
    const running = newId();
    await stack.store.executions.insert({
      id: running, action: 'core.local', pack: 'core', parameters: {}, status: 'running', runnerId: 'runner-1', log: [], createdAt: nowIso(), context: { user: 'mallory' }, user: 'mallory',
    });
    const token = await mintPackCodeToken(stack.store, { scope: { kind: 'action', id: running, pack: 'core', holder: 'runner-1' }, user: 'mallory', ttlSeconds: 600 });
    const post = (context: Record<string, unknown>) => stack.api.app.inject({
      method: 'POST', url: '/v1/executions', headers: { 'x-auth-token': token }, payload: { action: 'core.ask', parameters: { schema }, context },
    });
    const forged = await post({ parent: { execution_id: victim.id } });
    expect(forged.statusCode, forged.body).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'EXECUTION_CONTEXT_RESERVED', details: { field: 'context.parent' } });
    const plain = await post({});
    expect(plain.statusCode, plain.body).toBe(201);
    const started = plain.json<St2Execution>();
    expect(started.parent).toBeUndefined();
    expect(started.context['started_by_execution']).toBe(running);
    expect((await stored(victim.id)).children).not.toContain(started.id);
  }, 60_000);
});

describe('a record whose context names a workflow it is not part of', () => {
  it('an inquiry: not shown as the workflow\'s, and its answer resumes nothing; the workflow\'s own inquiry is, and does', async () => {
    const { victim, ask } = await pausedVictim();
    const created = await asMallory('POST', '/api/v1/executions', { action: 'core.ask', parameters: { schema } });
    expect(created.statusCode, created.body).toBe(201);
    const mine = created.json<St2Execution>();
    await retryUntil(async () => (await stored(mine.id)).status === 'pending', { what: "mallory's inquiry pending" });
    await forgeStoredContext(mine.id, { parent: victim.id });
    const shown = await asMallory('GET', `/api/v1/inquiries/${mine.id}`);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(shown.json()).not.toHaveProperty('parent');
    expect((await asMallory('PUT', `/api/v1/inquiries/${mine.id}`, { response: { approved: true } })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await stored(victim.id)).status).toBe('paused');

    // The workflow's own inquiry names it (the parent the engine recorded), and its answer resumes it.
    expect((await stack.call('GET', `/api/v1/inquiries/${ask.id}`)).json()).toMatchObject({ id: ask.id, parent: victim.id });
    expect((await stack.call('PUT', `/api/v1/inquiries/${ask.id}`, { response: { approved: true } })).statusCode).toBe(200);
    expect((await waitFor(stack, victim.id)).status).toBe('succeeded');
  }, 60_000);

  it('a retry: mallory\'s own execution is retried as her own, outside the workflow; a task of a workflow is left to it', async () => {
    const { victim } = await pausedVictim();
    // Held `delayed` so the forged context is in the record before it runs and fails.
    const created = await asMallory('POST', '/api/v1/executions', { action: 'forgedparent.flaky', delay: 1500 });
    expect(created.statusCode, created.body).toBe(201);
    const mine = created.json<St2Execution>();
    await forgeStoredContext(mine.id, { parent: { execution_id: victim.id, user: 'tester' }, orquesta: { task_name: 'get_approval' } });
    const retried = async () => (await stack.store.executions.find({ action: 'forgedparent.flaky' })).filter((record) => {
      const retry = (record.context['policies'] as { retry?: { retried_liveaction_id?: string } } | undefined)?.retry;
      return retry?.retried_liveaction_id === mine.id;
    });
    await retryUntil(async () => (await retried()).length === 1, { withinMs: 30_000, what: "the retry of mallory's failed execution" });
    const [retry] = await retried();
    expect(retry).toMatchObject({ user: 'mallory' });
    expect(retry!.parent).toBeUndefined();
    expect((await stored(victim.id)).children).not.toContain(retry!.id);
    expect((await childrenOf(stack, victim.id)).map((child) => child.id)).not.toContain(retry!.id);
    const [, ask] = await childrenOf(stack, victim.id);
    expect(ask).toMatchObject({ action: { ref: 'core.ask' }, status: 'pending' });

    // A real task (its parent recorded by the engine) fails once: the workflow fails, no policy retry.
    const flow = await runThroughApi(stack, 'forgedparent.flow');
    expect((await waitFor(stack, flow.id)).status).toBe('failed');
    const [task] = await childrenOf(stack, flow.id);
    expect(task).toMatchObject({ parent: flow.id, status: 'failed' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const taskRetries = (await stack.store.executions.find({ action: 'forgedparent.flaky' })).filter((record) => {
      const retry = (record.context['policies'] as { retry?: { retried_liveaction_id?: string } } | undefined)?.retry;
      return retry?.retried_liveaction_id === task!.id;
    });
    expect(taskRetries).toEqual([]);
  }, 90_000);

  it('a re-run: takes no context from the caller and copies none, so it lands in no workflow', async () => {
    const { victim, ask } = await pausedVictim();
    const withContext = await asMallory('POST', `/api/v1/executions/${ask.id}/re_run`, { context: { parent: { execution_id: victim.id } } });
    expect(withContext.statusCode, withContext.body).toBe(400);
    // Re-running the workflow's own task, or a record of hers whose context names the workflow.
    const created = await asMallory('POST', '/api/v1/executions', { action: 'core.echo', parameters: { message: 'mine' } });
    const mine = created.json<St2Execution>();
    await waitFor(stack, mine.id);
    await forgeStoredContext(mine.id, { parent: { execution_id: victim.id }, orquesta: { task_name: 'get_approval' } });
    for (const original of [ask.id, mine.id]) {
      const rerun = await asMallory('POST', `/api/v1/executions/${original}/re_run`, {});
      expect(rerun.statusCode, rerun.body).toBe(201);
      const again = rerun.json<St2Execution>();
      expect(again.parent).toBeUndefined();
      expect(again.context).not.toHaveProperty('parent');
      expect(again.context).not.toHaveProperty('orquesta');
      expect(again.context['re-run']).toEqual({ ref: original });
      expect((await stored(victim.id)).children).not.toContain(again.id);
      await waitFor(stack, again.id, ['pending', 'succeeded']);
    }
    expect((await stored(victim.id)).status).toBe('paused');
  }, 60_000);
});
